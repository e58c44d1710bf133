# nginx in front of firstcome. Rendered by scripts/stack.sh (and the compose image) by
# replacing the double-at tokens; the rendered file lives in the state dir.
@@USER_DIRECTIVE@@
worker_processes auto;
# Room for the connections below (idle and slow clients hold one each while they last).
worker_rlimit_nofile 20000;
pid @@STATE_DIR@@/pids/nginx.pid;
error_log @@LOG_DIR@@/nginx-error.log warn;
daemon @@DAEMON@@;

events {
    worker_connections 8192;
}

http {
    include @@MIME_TYPES@@;
    default_type application/octet-stream;
    access_log @@ACCESS_LOG@@;
    client_body_temp_path @@TEMP_DIR@@/client_body;
    fastcgi_temp_path @@TEMP_DIR@@/fastcgi;
    proxy_temp_path @@TEMP_DIR@@/proxy;
    uwsgi_temp_path @@TEMP_DIR@@/uwsgi;
    scgi_temp_path @@TEMP_DIR@@/scgi;

    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 30;

    # Slow, idle and abusive clients (docs/architecture.md, "Hostile clients") are nginx's to
    # hold, never the workers': a request reaches a worker only once nginx has read all of it.
    # Whoever sends no whole request head within 10 s, or lets 10 s pass between two pieces of
    # a body or two reads of an answer, is cut off without a word (reset: no lingering socket).
    client_header_timeout 10s;
    client_body_timeout 10s;
    send_timeout 10s;
    reset_timedout_connection on;
    # Requests in progress per address (read head, not yet answered: a slow body counts).
    limit_conn_zone $binary_remote_addr zone=peraddr:10m;
    limit_conn_status 429;
    limit_conn_log_level info;
    server_tokens off;
    client_max_body_size @@MAX_BODY@@;
    large_client_header_buffers 4 16k;

    gzip on;
    gzip_min_length 1024;
    gzip_types text/css application/javascript application/json image/svg+xml text/plain;

    # The API's own per-address limit; the load tests switch it off with RATE_LIMITS=off.
    limit_req_zone $binary_remote_addr zone=api:10m rate=@@API_RATE@@;
    limit_req_status 429;
    limit_req_log_level info;

    # The web hosts. Several are checked passively (max_fails, fail_timeout): one that refuses
    # connections or fails requests is left out for a while, then tried again.
    upstream firstcome {
        @@UPSTREAM_SERVERS@@
    }
    # A request goes on to another host only after an error or a timeout, and a POST, PATCH or
    # LOCK only when it was never sent (no non_idempotent): a claim or a payment a dead host may
    # have run is answered 502 (on the API, 503 unavailable), never run a second time.
    fastcgi_next_upstream error timeout;

    # Errors nginx raises before a location is chosen (a bad or too long request line) go to the
    # site's error page when the request line is a page's, and to the API's error shape
    # otherwise (the API's and anything that is not HTTP at all).
    map $request $error_kind {
        "~^(GET|HEAD|POST) /(?!api/)" page;
        default api;
    }

    server {
        listen @@LISTEN@@ default_server reuseport backlog=4096;
        server_name _;
        @@CONN_LIMIT@@

        # Errors nginx answers before any location is chosen (a request line too long).
        # Such a request has no URI yet, so it goes to a URI location, not a named one.
        error_page 400 /__error/$error_kind/400;
        error_page 414 /__error/$error_kind/414;
        # A header line longer than a buffer, or more header than all of them hold (an oversized
        # cookie, say): nginx's own 494, answered as 431 in the path's shape.
        error_page 494 =431 /__error/$error_kind/431;

        location /static/ {
            alias @@STATIC_ROOT@@/;
            expires 7d;
            add_header Cache-Control "public, max-age=604800";
            access_log off;
        }
        # Product pictures, as the web workers wrote them (libvips, under the state dir). A new
        # upload gets a new name, so a name's bytes never change: cached for a long time.
        location /pictures/ {
            alias @@PICTURES_DIR@@/;
            expires 30d;
            add_header Cache-Control "public, max-age=2592000, immutable";
            access_log off;
        }
        location = /favicon.ico {
            alias @@STATIC_ROOT@@/img/favicon.svg;
            types { }
            default_type image/svg+xml;
            expires 7d;
            access_log off;
        }

        # A picture upload may be larger than any other body (PICTURE_MAX_BYTES, apart from
        # MAX_BODY); the app checks the same limit for these two routes.
        location ~ ^/api/v1/admin/products/[0-9]+/picture$ {
            @@API_LIMIT@@
            client_max_body_size @@PICTURE_MAX_BYTES@@;
            error_page 413 = @api_413;
            error_page 429 = @api_429;
            error_page 502 503 504 = @api_503;
            include @@FASTCGI_PARAMS@@;
            fastcgi_pass firstcome;
            fastcgi_keep_conn off;
        }
        location ~ ^/admin/products/[0-9]+/picture$ {
            client_max_body_size @@PICTURE_MAX_BYTES@@;
            error_page 413 /__error/page/413;
            error_page 502 503 504 /static/unavailable.html;
            include @@FASTCGI_PARAMS@@;
            fastcgi_pass firstcome;
            fastcgi_keep_conn off;
        }

        location /api/ {
            @@API_LIMIT@@
            # nginx's own errors on the API speak the API's error shape.
            error_page 413 = @api_413;
            error_page 429 = @api_429;
            error_page 502 503 504 = @api_503;
            include @@FASTCGI_PARAMS@@;
            fastcgi_pass firstcome;
            fastcgi_keep_conn off;
        }

        # The operations endpoints that read the stores (/metrics asks MySQL on every scrape,
        # /healthz pings MySQL and Redis and asks Kafka for metadata) answer only the addresses
        # OPS_ALLOW names (Prometheus, a load balancer's probe); anyone else gets 403 from nginx
        # without reaching a web worker. /livez, which touches nothing, stays open.
        location ~ ^/(metrics|healthz)$ {
            @@OPS_ALLOW@@
            deny all;
            error_page 403 = @ops_403;
            error_page 502 503 504 = @api_503;
            include @@FASTCGI_PARAMS@@;
            fastcgi_pass firstcome;
            fastcgi_keep_conn off;
        }

        location / {
            error_page 413 /__error/page/413;
            error_page 429 /__error/page/429;
            error_page 502 503 504 /static/unavailable.html;
            include @@FASTCGI_PARAMS@@;
            fastcgi_pass firstcome;
            fastcgi_keep_conn off;
        }

        # The site's error page for the errors above, rendered by the application (as a GET:
        # nginx changes the method of an error page's request, and drops the body).
        location ^~ /__error/page/ {
            internal;
            error_page 502 503 504 /static/unavailable.html;
            # Not the refused request's parameters: its body is not passed on, so neither is its
            # length. The headers are (the cookies: the page shows who is signed in).
            fastcgi_param REQUEST_METHOD GET;
            fastcgi_param DOCUMENT_URI $document_uri;
            fastcgi_param SCRIPT_NAME $document_uri;
            fastcgi_param QUERY_STRING "";
            fastcgi_param REMOTE_ADDR $remote_addr;
            fastcgi_pass_request_body off;
            fastcgi_pass firstcome;
            fastcgi_keep_conn off;
        }
        location = /__error/api/400 { internal; default_type application/json; return 400 '{"error":{"code":"bad_request","message":"the request could not be read"}}'; }
        location @api_413 { default_type application/json; return 413 '{"error":{"code":"body_too_large","message":"the request body is larger than this server accepts"}}'; }
        location = /__error/api/431 { internal; default_type application/json; return 431 '{"error":{"code":"headers_too_large","message":"the request headers (cookies included) are larger than this server reads"}}'; }
        location = /__error/api/414 { internal; default_type application/json; return 414 '{"error":{"code":"uri_too_long","message":"the request line is too long"}}'; }
        location @api_429 { default_type application/json; add_header Retry-After 1 always; return 429 '{"error":{"code":"rate_limited","message":"too many requests; slow down"}}'; }
        location @ops_403 { default_type application/json; return 403 '{"error":{"code":"forbidden","message":"this address may not read the operations endpoints (OPS_ALLOW)"}}'; }
        location @api_503 { default_type application/json; return 503 '{"error":{"code":"unavailable","message":"the application is not answering; try again shortly"}}'; }
    }
}
