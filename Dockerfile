# firstcome application image: one binary (`firstcome web | workers | migrate | ...`) and the
# app root it reads at run time. Used by docker-compose.yaml for migrate, web and workers.
#
#   docker build -t firstcome .
#   docker run --rm firstcome firstcome config
#
# Layout (APP_ROOT defaults to the directory above bin/, see app/core/config.c):
#   /app/bin/firstcome  /app/templates  /app/static  /app/sql  /app/app/lua  /app/nginx
# State (STATE_DIR) lives in /var/lib/firstcome, owned by the unprivileged user `firstcome`.

# ---- build stage: the same Debian packages and Makefile as a local build -------------------
FROM debian:12-slim AS build

RUN set -eux; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential pkg-config g++ \
        libfcgi-dev libmariadb-dev libhiredis-dev librdkafka-dev libctemplate-dev \
        libjansson-dev libsodium-dev libjwt-dev libcurl4-openssl-dev libvips-dev; \
    rm -rf /var/lib/apt/lists/*

WORKDIR /src
# .dockerignore admits only what the build and the app root need (never .run/ or .git/).
COPY . .

# Build, then stage the app root; directories that are still empty (and so absent from a git
# checkout) are created so that the runtime COPY never fails.
RUN set -eux; \
    make -j"$(nproc)" bin/firstcome; \
    mkdir -p /out/app/bin /out/app/app; \
    install -m 0755 bin/firstcome /out/app/bin/firstcome; \
    for d in templates static sql nginx app/lua; do \
        mkdir -p "$d"; \
        cp -a "$d" "/out/app/$d"; \
    done

# ---- runtime stage: only the shared libraries the binary loads ---------------------------
FROM debian:12-slim

# Runtime packages of the -dev packages above (apt-cache depends):
#   libfcgi-dev -> libfcgi0ldbl, libmariadb-dev -> libmariadb3 (ships the caching_sha2_password
#   client plugin MySQL 8 uses by default), libhiredis-dev -> libhiredis0.14,
#   librdkafka-dev -> librdkafka1, libctemplate-dev -> libctemplate3, libjansson-dev ->
#   libjansson4, libsodium-dev -> libsodium23, libjwt-dev -> libjwt0, libcurl4-openssl-dev ->
#   libcurl4, libvips-dev -> libvips42 (and GLib's libglib2.0-0, whose GObject API libvips'
#   programs call). tini is PID 1: it forwards SIGTERM to the supervisor and
#   reaps orphans. The state dir is 0751: nginx's container (another user) mounts the same volume
#   and may pass through it to pictures/ (0755), not list the rest.
RUN set -eux; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libfcgi0ldbl libmariadb3 libhiredis0.14 librdkafka1 libctemplate3 \
        libjansson4 libsodium23 libjwt0 libcurl4 libvips42 libglib2.0-0 \
        ca-certificates tini; \
    rm -rf /var/lib/apt/lists/*; \
    groupadd --system --gid 10001 firstcome; \
    useradd --system --uid 10001 --gid firstcome --home-dir /var/lib/firstcome \
        --no-create-home --shell /usr/sbin/nologin firstcome; \
    install -d -o firstcome -g firstcome -m 0751 /var/lib/firstcome

# The app root stays owned by root: the service user can read it, not change it.
COPY --from=build /out/app /app

ENV APP_ROOT=/app \
    STATE_DIR=/var/lib/firstcome \
    FCGI_LISTEN=0.0.0.0:9000 \
    PATH=/app/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

USER firstcome:firstcome
WORKDIR /var/lib/firstcome
EXPOSE 9000

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["firstcome", "web"]
