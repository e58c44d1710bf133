#!/usr/bin/env bash
# Starts, stops and reports the whole firstcome stack under STATE_DIR: MariaDB, Redis, the Kafka
# devbroker, the FastCGI web servers (WEB_HOSTS of them), the background workers and nginx.
# Plain processes, one pid file each in $STATE_DIR/pids; nothing shared with system services or
# another stack.
#   scripts/stack.sh start|stop|status
# Setting MYSQL_HOST, REDIS_URL or KAFKA_BROKERS uses that existing service instead of starting one.
# REDIS_CLUSTER=N (3 or more) starts a Redis Cluster of N masters on loopback ports instead of the
# one Redis on a unix socket, with REDIS_CLUSTER_REPLICAS (default 0) replicas for each master;
# a state dir that was started so keeps its cluster.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN="$ROOT/bin/firstcome"
export STATE_DIR=$(mkdir -p "${STATE_DIR:-$ROOT/.run}" && cd "${STATE_DIR:-$ROOT/.run}" && pwd)
export HTTP_PORT=${HTTP_PORT:-8080}
S=$STATE_DIR
LOGS=$S/logs PIDS=$S/pids
mkdir -p "$LOGS" "$PIDS" "$S/tmp"

EXTERNAL_MYSQL=${MYSQL_HOST:-}
EXTERNAL_REDIS=${REDIS_URL:-}
EXTERNAL_KAFKA=${KAFKA_BROKERS:-}

say() { printf '%s\n' "$*"; }
die() { printf 'stack: %s\n' "$*" >&2; exit 1; }

alive() { # alive NAME: the pid in pids/NAME.pid is a running process
  local f="$PIDS/$1.pid" pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && ! zombie "$pid"
}

# A killed server whose parent (here, init) has not reaped it yet: dead, though kill -0 says not.
zombie() { [ "$(ps -o stat= -p "$1" 2>/dev/null | cut -c1)" = Z ]; }

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...
  local secs=$1 what=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || die "$what did not come up within ${secs}s (see $LOGS)"
    sleep 0.2
  done
}

redis_ready() { [ "$(redis-cli -s "$S/redis.sock" ping 2>/dev/null)" = PONG ]; }
redis_port_ready() { [ "$(redis-cli -p "$1" ping 2>/dev/null)" = PONG ]; }

# start_bg NAME LOGFILE COMMAND...: a new session, so a terminal's ^C does not reach it. The pid
# file is written at once (setsid execs the command in place: the pid is the server's own), so
# a start or stop that follows sees it running. The lock's descriptor is closed for it: a server
# that kept it would hold the state dir's lock for as long as it lives.
start_bg() {
  local name=$1 log=$2; shift 2
  setsid "$@" >>"$log" 2>&1 < /dev/null 9>&- &
  echo $! > "$PIDS/$name.pid"
}

mysql_root() { mariadb --no-defaults --socket="$S/mysql.sock" -uroot "$@"; }

start_mysql() {
  [ -z "$EXTERNAL_MYSQL" ] || { say "mysql: using $EXTERNAL_MYSQL"; return; }
  if alive mysql; then say "mysql: running"; return; fi
  local data=$S/mysql/data
  if [ ! -d "$data/mysql" ]; then
    say "mysql: initialising $data"
    mkdir -p "$data"
    mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$data" \
      --auth-root-authentication-method=normal --skip-test-db >"$LOGS/mysql-install.log" 2>&1 \
      || die "mariadb-install-db failed (see $LOGS/mysql-install.log)"
  fi
  rm -f "$S/mysql.sock"
  # No TCP port: the socket in the state dir is the only way in, so stacks never clash.
  start_bg mysql "$LOGS/mysql.log" mariadbd --no-defaults --user="$(id -un)" \
    --datadir="$data" --socket="$S/mysql.sock" --pid-file="$PIDS/mysql.pid" --skip-networking \
    --log-error="$LOGS/mysql.log" --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci --default-time-zone=+00:00 \
    --innodb-buffer-pool-size=256M --max-connections=600 --skip-name-resolve \
    --tmpdir="$S/tmp"
  wait_for 60 mysql mariadb-admin --no-defaults --socket="$S/mysql.sock" -uroot ping
  local pw; pw=$(cat "$S/secrets/mysql_password")
  mysql_root <<SQL
CREATE DATABASE IF NOT EXISTS firstcome CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
CREATE USER IF NOT EXISTS 'firstcome'@'localhost' IDENTIFIED BY '$pw';
GRANT ALL PRIVILEGES ON firstcome.* TO 'firstcome'@'localhost';
SQL
  say "mysql: started (socket $S/mysql.sock)"
}

start_redis() {
  [ -z "$EXTERNAL_REDIS" ] || { say "redis: using $EXTERNAL_REDIS"; return; }
  if [ -n "${REDIS_CLUSTER:-}" ] || [ -s "$S/redis-cluster/ports" ]; then
    if [ -s "$S/redis-cluster/ports" ]; then # as it was made
      REDIS_CLUSTER_REPLICAS=$(cat "$S/redis-cluster/replicas" 2>/dev/null || echo 0)
      REDIS_CLUSTER=$(($(wc -w < "$S/redis-cluster/ports") / (REDIS_CLUSTER_REPLICAS + 1)))
    fi
    REDIS_CLUSTER_REPLICAS=${REDIS_CLUSTER_REPLICAS:-0}
    [ "$REDIS_CLUSTER" -ge 3 ] 2>/dev/null || die "REDIS_CLUSTER=$REDIS_CLUSTER: a Redis Cluster needs at least 3 masters"
    [ "$REDIS_CLUSTER_REPLICAS" -ge 0 ] 2>/dev/null || die "REDIS_CLUSTER_REPLICAS=$REDIS_CLUSTER_REPLICAS: a number of replicas for each master"
    start_redis_cluster
    return
  fi
  if alive redis; then say "redis: running"; return; fi
  mkdir -p "$S/redis"
  cat > "$S/redis/redis.conf" <<CONF
port 0
unixsocket $S/redis.sock
unixsocketperm 700
dir $S/redis
pidfile $PIDS/redis.pid
logfile $LOGS/redis.log
daemonize no
appendonly yes
appendfsync everysec
save ""
maxclients 4000
CONF
  rm -f "$S/redis.sock"
  start_bg redis "$LOGS/redis.log" redis-server "$S/redis/redis.conf"
  # PONG, not just an answer: while it replays a big AOF, Redis answers LOADING to everything.
  wait_for 120 redis redis_ready
  say "redis: started (socket $S/redis.sock, AOF on)"
}

# The cluster's ports, chosen once per state dir (its nodes.conf files name them): free ports
# whose cluster-bus ports (port + 10000) are free as well.
cluster_ports() {
  local f=$S/redis-cluster/ports
  if [ ! -s "$f" ]; then
    mkdir -p "$S/redis-cluster"
    echo "$REDIS_CLUSTER_REPLICAS" > "$S/redis-cluster/replicas"
    /usr/bin/python3 - "$((REDIS_CLUSTER * (REDIS_CLUSTER_REPLICAS + 1)))" > "$f" <<'PY'
import socket, sys
n, held, ports = int(sys.argv[1]), [], []
while len(ports) < n:
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]; held.append(a)
    if p > 55000:
        continue
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 10000)); held.append(b); ports.append(p)
    except OSError:
        b.close()
print(" ".join(map(str, ports)))
PY
  fi
  cat "$f"
}

cluster_ok() { # every node reports cluster_state:ok
  local p
  for p in $(cat "$S/redis-cluster/ports"); do
    redis-cli -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  done
}

start_redis_cluster() {
  local ports p i=0 nodes=() urls=()
  ports=$(cluster_ports)
  for p in $ports; do
    i=$((i + 1)); nodes+=("127.0.0.1:$p")
    [ "${#urls[@]}" -lt 8 ] && urls+=("127.0.0.1:$p") # the URL's seeds: at most 8 (store/redis.h)
    alive "redis-$i" && continue
    mkdir -p "$S/redis-cluster/$i"
    cat > "$S/redis-cluster/$i/redis.conf" <<CONF
port $p
bind 127.0.0.1
dir $S/redis-cluster/$i
pidfile $PIDS/redis-$i.pid
logfile $LOGS/redis-$i.log
daemonize no
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 5000
appendonly yes
appendfsync everysec
save ""
maxclients 4000
CONF
    start_bg "redis-$i" "$LOGS/redis-$i.log" redis-server "$S/redis-cluster/$i/redis.conf"
  done
  for p in $ports; do
    wait_for 120 "redis on port $p" redis_port_ready "$p"
  done
  if [ ! -e "$S/redis-cluster/created" ]; then
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas "$REDIS_CLUSTER_REPLICAS" --cluster-yes \
      >>"$LOGS/redis-cluster.log" 2>&1 || die "redis-cli --cluster create failed (see $LOGS/redis-cluster.log)"
    touch "$S/redis-cluster/created"
  fi
  wait_for 60 "the Redis Cluster (cluster_state:ok)" cluster_ok
  # What every process of the stack reads REDIS_URL from when it is not set (core/config.c).
  echo "redis-cluster://$(IFS=,; echo "${urls[*]}")" > "$S/redis-cluster/url"
  export REDIS_URL=$(cat "$S/redis-cluster/url")
  say "redis: cluster of $REDIS_CLUSTER masters and $((REDIS_CLUSTER * REDIS_CLUSTER_REPLICAS)) replicas started ($REDIS_URL, AOF on)"
}

start_devbroker() {
  [ -z "$EXTERNAL_KAFKA" ] || { say "kafka: using $EXTERNAL_KAFKA"; return; }
  if alive devbroker && [ -s "$S/devbroker.addr" ]; then say "kafka: devbroker running"; return; fi
  rm -f "$S/devbroker.addr"
  start_bg devbroker "$LOGS/devbroker.log" "$BIN" devbroker
  wait_for 20 devbroker test -s "$S/devbroker.addr"
  say "kafka: devbroker started on $(cat "$S/devbroker.addr")"
}

start_workers() {
  if alive workers; then say "workers: running"; return; fi
  start_bg workers "$LOGS/workers.log" "$BIN" workers
  say "workers: started"
}

# ---- web hosts (WEB_HOSTS) ----
# WEB_HOSTS=N (default 1) starts N `firstcome web` servers, each a host of its own: its FastCGI
# socket, pid file and log. The first keeps a one-host stack's names (web.sock, pids/web.pid,
# logs/web.log), the others are web-1, web-2, ...; nginx's upstream lists them all.
web_hosts() {
  local n=${WEB_HOSTS:-1}
  [[ "$n" =~ ^[1-9][0-9]?$ ]] || die "WEB_HOSTS=$n: expected a number from 1 to 99"
  echo "$n"
}

web_host_name() { if [ "$1" -eq 0 ]; then echo web; else echo "web-$1"; fi; }

# A server accepts connections on the socket: not merely its file, which a killed server leaves.
fcgi_listening() {
  python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$1"
}

start_web_host() { # start_web_host INDEX
  local name sock
  name=$(web_host_name "$1")
  sock="$S/$name.sock"
  if alive "$name"; then say "$name: running"; return; fi
  if [ "$1" -eq 0 ]; then
    start_bg "$name" "$LOGS/$name.log" "$BIN" web
  else
    start_bg "$name" "$LOGS/$name.log" env FCGI_LISTEN="$sock" "$BIN" web
  fi
  wait_for 20 "$name (FastCGI)" fcgi_listening "$sock"
  say "$name: started (${WEB_WORKERS:-4} workers on $sock)"
}

start_web() {
  local i n
  n=$(web_hosts)
  for ((i = 0; i < n; i++)); do start_web_host "$i"; done
}

# The servers of nginx's upstream. One host: as nginx's default, which never takes its only
# server out. Several: passive health checks, a host that failed MAX_FAILS (3) attempts within
# FAIL_TIMEOUT (5 s) gets no request for FAIL_TIMEOUT, then one to try it again.
upstream_servers() {
  local i n
  n=$(web_hosts)
  if [ "$n" -eq 1 ]; then printf 'server unix:%s;' "$S/web.sock"; return; fi
  for ((i = 0; i < n; i++)); do
    printf 'server unix:%s/%s.sock max_fails=%s fail_timeout=%s; ' "$S" "$(web_host_name "$i")" \
      "${WEB_HOST_MAX_FAILS:-3}" "${WEB_HOST_FAIL_TIMEOUT:-5s}"
  done
}

stop_web() {
  local f
  stop_pid web 15
  for f in "$PIDS"/web-*.pid; do
    [ -e "$f" ] || continue
    stop_pid "$(basename "$f" .pid)" 15
  done
  rm -f "$S"/web.sock "$S"/web-*.sock
}

web_host_names() { # every host this state dir has a pid file for, the first one always
  local f
  echo web
  for f in "$PIDS"/web-*.pid; do [ -e "$f" ] && basename "$f" .pid; done
  return 0
}

# nginx allow directives for a list of addresses and CIDR ranges (or "all"); anything else is
# refused here, before nginx reads it.
allow_directives() {
  local a out=""
  for a in $1; do
    case "$a" in
      all|*[!0-9a-fA-F.:/]*) [ "$a" = all ] || die "OPS_ALLOW: '$a' is not an address, a CIDR range or all" ;;
    esac
    out="$out allow $a;"
  done
  [ -n "$out" ] || die "OPS_ALLOW is empty (name the addresses that may read /metrics and /healthz)"
  printf '%s' "${out# }"
}

render_nginx() {
  local user_directive="" api_limit="" conn_limit=""
  [ "$(id -u)" -ne 0 ] || user_directive="user root;"
  case "${RATE_LIMITS:-on}" in off|0|false) ;; *)
    api_limit="limit_req zone=api burst=400 nodelay;"
    conn_limit="limit_conn peraddr ${CONN_PER_ADDRESS:-256};" ;;
  esac
  local ops
  ops=$(allow_directives "${OPS_ALLOW:-127.0.0.1 ::1}") || exit 1
  mkdir -p "$S/nginx" "$S/tmp/nginx"
  sed -e "s|@@USER_DIRECTIVE@@|$user_directive|" \
      -e "s|@@STATE_DIR@@|$S|g" -e "s|@@LOG_DIR@@|$LOGS|g" -e "s|@@TEMP_DIR@@|$S/tmp/nginx|g" \
      -e "s|@@DAEMON@@|on|" -e "s|@@MIME_TYPES@@|/etc/nginx/mime.types|" \
      -e "s|@@FASTCGI_PARAMS@@|/etc/nginx/fastcgi_params|g" \
      -e "s|@@ACCESS_LOG@@|$LOGS/nginx-access.log combined buffer=64k flush=1s|" \
      -e "s|@@API_RATE@@|${API_RATE:-200r/s}|" -e "s|@@API_LIMIT@@|$api_limit|" -e "s|@@CONN_LIMIT@@|$conn_limit|" \
      -e "s|@@UPSTREAM_SERVERS@@|$(upstream_servers)|" -e "s|@@LISTEN@@|127.0.0.1:$HTTP_PORT|" \
      -e "s|@@STATIC_ROOT@@|$ROOT/static|" -e "s|@@MAX_BODY@@|${MAX_BODY:-1048576}|g" \
      -e "s|@@PICTURES_DIR@@|$S/pictures|" -e "s|@@PICTURE_MAX_BYTES@@|${PICTURE_MAX_BYTES:-8388608}|g" \
      -e "s|@@OPS_ALLOW@@|$ops|" \
      "$ROOT/nginx/nginx.conf.tpl" > "$S/nginx/nginx.conf"
  ! grep -q '@@' "$S/nginx/nginx.conf" || die "nginx template has an unreplaced token"
}

start_nginx() {
  if alive nginx; then say "nginx: running"; return; fi
  render_nginx
  nginx -e "$LOGS/nginx-error.log" -p "$S/nginx" -c "$S/nginx/nginx.conf" 9>&- \
    || die "nginx failed to start (see $LOGS/nginx-error.log); is port $HTTP_PORT free?"
  wait_for 10 nginx test -s "$PIDS/nginx.pid"
  say "nginx: listening on 127.0.0.1:$HTTP_PORT"
}

healthy() { curl -fsS "http://127.0.0.1:$HTTP_PORT/healthz" | grep -q '"status":"ok"'; }

prometheus_on() { case "${PROMETHEUS:-off}" in on|1|true) return 0 ;; *) return 1 ;; esac; }

# PROMETHEUS=on: Debian's Prometheus scraping this stack's /metrics every 5 s with the rules in
# docs/prometheus/, on 127.0.0.1:PROMETHEUS_PORT (9090), its data under the state dir.
start_prometheus() {
  prometheus_on || return 0
  if alive prometheus; then say "prometheus: running"; return; fi
  command -v prometheus >/dev/null || die "prometheus is not installed (scripts/deps.sh installs it)"
  local port=${PROMETHEUS_PORT:-9090}
  mkdir -p "$S/prometheus/data"
  sed -e "s|@@INTERVAL@@|5s|g" -e "s|@@RULES@@|$ROOT/docs/prometheus/rules.yml|" \
      -e "s|@@TARGET@@|127.0.0.1:$HTTP_PORT|" "$ROOT/docs/prometheus/prometheus.yml.tpl" \
      > "$S/prometheus/prometheus.yml"
  start_bg prometheus "$LOGS/prometheus.log" prometheus --config.file="$S/prometheus/prometheus.yml" \
    --storage.tsdb.path="$S/prometheus/data" --storage.tsdb.retention.time=7d \
    --web.listen-address="127.0.0.1:$port"
  wait_for 30 prometheus curl -fsS "http://127.0.0.1:$port/-/ready"
  say "prometheus: http://127.0.0.1:$port/ (rules: docs/prometheus/rules.yml)"
}

cmd_start() {
  [ -x "$BIN" ] || die "$BIN is missing: run make first"
  "$BIN" config >/dev/null # resolves settings and creates the state dir's secrets
  start_mysql
  start_redis
  start_devbroker
  "$BIN" config env-file "$S/env"
  "$BIN" migrate >>"$LOGS/migrate.log" 2>&1 || die "migrations failed (see $LOGS/migrate.log)"
  "$BIN" seed-demo 2>>"$LOGS/migrate.log" | sed 's/^/seed: /' || die "demo data failed"
  # Rebuilding Redis from MySQL is for a cold start: with web and workers live, claims and
  # reservations in flight would be forgotten.
  if ! alive web && ! alive workers; then
    "$BIN" reconcile >>"$LOGS/migrate.log" 2>&1 || die "reconcile failed (see $LOGS/migrate.log)"
  fi
  start_workers
  start_web
  start_nginx
  start_prometheus
  wait_for 30 "/healthz" healthy
  say ""
  say "firstcome is running: http://127.0.0.1:$HTTP_PORT/"
  say "state: $S (source $S/env for every setting; logs in $LOGS)"
}

stop_pid() { # stop_pid NAME [SECONDS]
  local name=$1 secs=${2:-20} pid
  [ -s "$PIDS/$name.pid" ] || return 0
  pid=$(cat "$PIDS/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + secs))
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      say "$name: still running after ${secs}s, killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    say "$name: stopped"
  fi
  rm -f "$PIDS/$name.pid"
}

cmd_stop() {
  stop_pid prometheus 10
  stop_pid nginx 10
  stop_web
  stop_pid workers 20 # the supervisor stops its children; stragglers are stopped below
  for f in "$PIDS"/worker-*.pid; do
    [ -e "$f" ] || continue
    stop_pid "$(basename "$f" .pid)" 5
  done
  stop_pid devbroker 10
  rm -f "$S/devbroker.addr"
  stop_pid redis 20
  for f in "$PIDS"/redis-*.pid; do
    [ -e "$f" ] || continue
    stop_pid "$(basename "$f" .pid)" 20
  done
  stop_pid mysql 60
  rm -f "$S/redis.sock" "$S/mysql.sock"
}

cmd_status() {
  local rc=0
  # The stack's own port, as it was started (the caller's HTTP_PORT may be another stack's).
  [ -s "$S/env" ] && HTTP_PORT=$(sed -n "s/^HTTP_PORT='\(.*\)'$/\1/p" "$S/env")
  local redis=redis
  [ -s "$S/redis-cluster/ports" ] && redis=$(seq -f 'redis-%g' 1 "$(wc -w < "$S/redis-cluster/ports")")
  for n in mysql $redis devbroker workers $(web_host_names) nginx $(prometheus_on && echo prometheus); do
    if alive "$n"; then printf '%-10s running (pid %s)\n' "$n" "$(cat "$PIDS/$n.pid")"
    else printf '%-10s stopped\n' "$n"; rc=1; fi
  done
  healthy && say "healthz: ok" || { say "healthz: not ok"; rc=1; }
  return $rc
}

# One start or stop at a time per state dir: two starts at once would each remove the other's
# MariaDB socket and judge "running" before the other's pid file exists.
lock_state_dir() {
  exec 9>"$S/stack.lock"
  flock -w 600 9 || die "another stack.sh holds $S/stack.lock"
}

case "${1:-}" in
  start) lock_state_dir; cmd_start ;;
  stop) lock_state_dir; cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
