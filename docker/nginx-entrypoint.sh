#!/bin/sh
# nginx-entrypoint.sh - renders nginx/nginx.conf.tpl (the same template scripts/stack.sh renders
# for local runs) and starts nginx with it. Used by the `nginx` service of docker-compose.yaml.
#
#   nginx-entrypoint.sh            render, then exec nginx -c "$NGINX_CONF"
#   nginx-entrypoint.sh CMD ARGS   render, then exec CMD ARGS (e.g. `true` to render only)
#
# Every @@TOKEN@@ of the template is taken from the environment variable of the same name; the
# defaults below are the compose deployment's. Variables whose default may legitimately be
# replaced by an empty value (USER_DIRECTIVE, API_LIMIT, CONN_LIMIT) use ${VAR-default}, so setting them
# to "" removes the directive. Whole-line comments of the template are dropped, and any token
# left over (a token added to the template but not known here) is an error, never a silent
# broken config.
set -eu

NGINX_TEMPLATE=${NGINX_TEMPLATE:-/etc/firstcome/nginx.conf.tpl}
STATE_DIR=${STATE_DIR:-/var/cache/nginx/firstcome}
NGINX_CONF=${NGINX_CONF:-$STATE_DIR/nginx.conf}
# 1: the error log file is a symlink to /dev/stderr, so errors reach `docker logs`.
NGINX_ERROR_LOG_TO_STDERR=${NGINX_ERROR_LOG_TO_STDERR:-1}

FCGI_PASS=${FCGI_PASS:-web:9000}
# The upstream's server directives (one line); by default the one FCGI_PASS names, which may
# resolve to several web containers (docker-compose up --scale web=N).
UPSTREAM_SERVERS=${UPSTREAM_SERVERS:-server $FCGI_PASS;}
LISTEN=${LISTEN:-80}
DAEMON=${DAEMON:-off}
USER_DIRECTIVE=${USER_DIRECTIVE-user nginx;}
MIME_TYPES=${MIME_TYPES:-/etc/nginx/mime.types}
FASTCGI_PARAMS=${FASTCGI_PARAMS:-/etc/nginx/fastcgi_params}
STATIC_ROOT=${STATIC_ROOT:-/srv/firstcome/static}
LOG_DIR=${LOG_DIR:-$STATE_DIR/logs}
TEMP_DIR=${TEMP_DIR:-$STATE_DIR/tmp}
ACCESS_LOG=${ACCESS_LOG:-/dev/stdout}
API_RATE=${API_RATE:-50r/s}
API_LIMIT=${API_LIMIT-limit_req zone=api burst=100 nodelay;}
CONN_LIMIT=${CONN_LIMIT-limit_conn peraddr 256;}
MAX_BODY=${MAX_BODY:-1048576}
PICTURE_MAX_BYTES=${PICTURE_MAX_BYTES:-8388608}
PICTURES_DIR=${PICTURES_DIR:-/srv/firstcome/state/pictures}
# Who may read /metrics and /healthz: addresses and CIDR ranges, or "all". By default loopback
# only; docker-compose.yaml adds Prometheus's address.
OPS_ALLOW=${OPS_ALLOW:-127.0.0.1}

TOKENS="UPSTREAM_SERVERS LISTEN DAEMON USER_DIRECTIVE MIME_TYPES FASTCGI_PARAMS STATIC_ROOT STATE_DIR
LOG_DIR TEMP_DIR ACCESS_LOG API_RATE API_LIMIT CONN_LIMIT MAX_BODY PICTURE_MAX_BYTES PICTURES_DIR
OPS_ALLOW"

die() {
    echo "nginx-entrypoint: $*" >&2
    exit 1
}

# Escapes a value for the replacement side of a sed s|||g command.
sed_escape() {
    printf '%s\n' "$1" | sed -e 's/\\/\\\\/g' -e 's/[|&]/\\&/g'
}

# OPS_ALLOW's list as nginx allow directives; anything but an address, a CIDR range or "all" is
# refused.
allow_directives() {
    out=
    for a in $1; do
        case $a in
        all) ;;
        *[!0-9a-fA-F.:/]*) die "OPS_ALLOW: '$a' is not an address, a CIDR range or all" ;;
        esac
        out="$out allow $a;"
    done
    [ -n "$out" ] || die "OPS_ALLOW is empty"
    printf '%s' "${out# }"
}

render() {
    [ -r "$NGINX_TEMPLATE" ] || die "template $NGINX_TEMPLATE not readable"
    script=$(mktemp)
    out_tmp="$NGINX_CONF.tmp.$$"
    trap 'rm -f "$script" "$out_tmp"' EXIT
    echo '/^[[:space:]]*#/d' >"$script"
    value=
    for name in $TOKENS; do
        eval "value=\${$name}"
        case $value in
        *"
"*) die "$name must be a single line" ;;
        esac
        printf 's|@@%s@@|%s|g\n' "$name" "$(sed_escape "$value")" >>"$script"
    done
    mkdir -p "$(dirname "$NGINX_CONF")"
    sed -f "$script" "$NGINX_TEMPLATE" >"$out_tmp"
    left=$(grep -o '@@[A-Za-z0-9_]*@@' "$out_tmp" | sort -u | tr '\n' ' ' || true)
    [ -z "$left" ] || die "tokens not rendered in $NGINX_TEMPLATE: $left"
    mv "$out_tmp" "$NGINX_CONF"
    rm -f "$script"
    trap - EXIT
}

# The directories the config names: pid file, error log, temp paths.
prepare_dirs() {
    mkdir -p "$STATE_DIR/pids" "$LOG_DIR" "$TEMP_DIR"
    if [ "$NGINX_ERROR_LOG_TO_STDERR" = 1 ]; then
        ln -sf /dev/stderr "$LOG_DIR/nginx-error.log"
    fi
}

OPS_ALLOW=$(allow_directives "$OPS_ALLOW")
render
prepare_dirs
echo "nginx-entrypoint: rendered $NGINX_TEMPLATE -> $NGINX_CONF (upstream $FCGI_PASS, listen $LISTEN)" >&2

if [ $# -eq 0 ]; then
    exec nginx -c "$NGINX_CONF"
fi
exec "$@"
