#!/usr/bin/env bash
# NexRelay's local infrastructure without a container engine: PostgreSQL, Redis and RabbitMQ
# from Debian packages, on ports and data folders of NexRelay's own.
#
#   scripts/infra.sh install                 apt-get the servers if missing
#   scripts/infra.sh prepare [run|dashboard]       install, initialise the data folders and write the env file, start nothing:
#                                                  the AppHost runs the servers itself as resources (./run.sh)
#   scripts/infra.sh serve postgres|redis|rabbitmq [run|dashboard]   run one server in the foreground: the command the
#                                                  AppHost's resource for it runs (its console log is the server's)
#   scripts/infra.sh start [run|test|bench]        start all three (idempotent), write the profile's env file
#   scripts/infra.sh stop  [run|test|bench]        stop what start started (or what a killed AppHost left behind)
#   scripts/infra.sh stop-rabbitmq|start-rabbitmq [run|test|bench]   used by outage tests
#   scripts/infra.sh stop-redis|start-redis [run|test|bench]         used by outage tests (Redis keeps its data: AOF)
#   scripts/infra.sh stop-postgres|start-postgres [run|test|bench]   used by the chaos suite
#   scripts/infra.sh env   [run|test|bench]        print the env file (export lines)
#
# Profiles keep `./run.sh`, `./test.sh` and `bench/run.sh` apart: each has its own ports and data folder, so tests
# never touch the data of a running stack. `run` (and the dashboard test's `dashboard`) are served by the AppHost, so the
# Aspire dashboard shows the servers' state, health and logs; `test` and `bench` are started here once and shared by
# every test cluster (the outage and chaos suites stop and restart them underneath the clusters, as a real fault does).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CMD="${1:-}"
# `serve` names the server before the profile.
if [ "$CMD" = serve ]; then SERVER="${2:-}"; PROFILE="${3:-run}"; else SERVER=""; PROFILE="${2:-run}"; fi

case "$PROFILE" in
  run)  BASE_PORT="${NEXRELAY_INFRA_BASE_PORT:-55400}" ;;
  test) BASE_PORT="${NEXRELAY_INFRA_BASE_PORT:-56400}" ;;
  bench) BASE_PORT="${NEXRELAY_INFRA_BASE_PORT:-57400}" ;;
  dashboard) BASE_PORT="${NEXRELAY_INFRA_BASE_PORT:-58400}" ;;
  *) echo "infra: unknown profile '$PROFILE' (run|test|bench|dashboard)" >&2; exit 2 ;;
esac
PG_PORT=$((BASE_PORT + 32))
REDIS_PORT=$((BASE_PORT + 79))
RABBIT_PORT=$((BASE_PORT + 72))
RABBIT_DIST_PORT=$((BASE_PORT + 73))
EPMD_PORT=$((BASE_PORT + 69))

DATA_ROOT="${NEXRELAY_DATA_DIR:-$ROOT/.nexrelay}"
DATA="$DATA_ROOT/$PROFILE"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
PG_DATA="$DATA/postgres"
PG_SOCK="$DATA/postgres-run"
REDIS_DIR="$DATA/redis"
RABBIT_DIR="$DATA/rabbitmq"
ENV_FILE="$DATA/env"

log() { echo "infra[$PROFILE]: $*" >&2; }

need_root() {
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then exec sudo -E "$0" "$@"; fi
    log "must run as root (or with sudo) to install and start the servers"; exit 1
  fi
}

install() {
  local missing=()
  [ -n "$PG_BIN" ] && [ -x "$PG_BIN/postgres" ] || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  [ -x /usr/sbin/rabbitmq-server ] || missing+=(rabbitmq-server)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} from Debian packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    # policy-rc.d keeps the packages from starting system-wide servers on the default ports.
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    apt-get install -y -qq --no-install-recommends postgresql redis-server rabbitmq-server >/dev/null
    rm -f /usr/sbin/policy-rc.d
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
}

secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

ensure_secrets() {
  mkdir -p "$DATA"; chmod 755 "$DATA_ROOT" "$DATA"
  if [ ! -s "$DATA/secrets" ]; then
    umask 077
    printf 'PG_PASSWORD=%s\nREDIS_PASSWORD=%s\nRABBIT_PASSWORD=%s\n' "$(secret)" "$(secret)" "$(secret)" > "$DATA/secrets.tmp"
    mv "$DATA/secrets.tmp" "$DATA/secrets"
    umask 022
  fi
  # shellcheck disable=SC1091
  . "$DATA/secrets"
}

# $1: who runs the servers, as the AppHost's NexRelay:Infrastructure setting: local (the AppHost, through `serve`) or
# external (already running, started here).
write_env() {
  umask 077
  cat > "$ENV_FILE.tmp" <<EOF
export NexRelay__Infrastructure=$1
export NexRelay__InfraProfile=$PROFILE
export NEXRELAY_PG_HOST=127.0.0.1
export NEXRELAY_PG_PORT=$PG_PORT
export NEXRELAY_PG_USER=nexrelay
export NEXRELAY_PG_PASSWORD=$PG_PASSWORD
export NEXRELAY_REDIS_PORT=$REDIS_PORT
export NEXRELAY_REDIS_PASSWORD=$REDIS_PASSWORD
export NEXRELAY_RABBITMQ_PORT=$RABBIT_PORT
export NEXRELAY_RABBITMQ_USER=nexrelay
export NEXRELAY_RABBITMQ_PASSWORD=$RABBIT_PASSWORD
EOF
  mv "$ENV_FILE.tmp" "$ENV_FILE"
  umask 022
}

pg() { runuser -u postgres -- "$@"; }

init_postgres() {
  # A half-initialised folder (initdb interrupted) has no PG_VERSION: it holds no data, so start over.
  if [ -d "$PG_DATA" ] && [ ! -s "$PG_DATA/PG_VERSION" ]; then rm -rf "$PG_DATA"; fi
  mkdir -p "$PG_SOCK"; chown postgres:postgres "$PG_SOCK"
  if [ ! -d "$PG_DATA" ]; then
    log "initialising PostgreSQL in $PG_DATA"
    mkdir -p "$PG_DATA"; chown postgres:postgres "$PG_DATA"; chmod 700 "$PG_DATA"
    local pwfile; pwfile="$(mktemp)"; printf '%s' "$PG_PASSWORD" > "$pwfile"; chown postgres "$pwfile"
    pg "$PG_BIN/initdb" -D "$PG_DATA" -U nexrelay --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null \
      || { rm -f "$pwfile"; rm -rf "$PG_DATA"; log "initdb failed"; exit 1; }
    rm -f "$pwfile"
    cat >> "$PG_DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 400
shared_buffers = 256MB
fsync = on
EOF
  fi
}

create_databases() {
  for db in billing keypolicy logging; do
    if ! pg "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U nexrelay -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='$db'" | grep -q 1; then
      pg "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U nexrelay -d postgres -qc "CREATE DATABASE $db" >/dev/null
    fi
  done
}

start_postgres() {
  init_postgres
  if pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "PostgreSQL already running on $PG_PORT"
  else
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_SOCK/postgres.log" -w -t 60 start >/dev/null \
      || { log "PostgreSQL did not start; see $PG_SOCK/postgres.log"; tail -n 20 "$PG_SOCK/postgres.log" >&2; exit 1; }
  fi
  create_databases
}

# In the foreground for the AppHost (which creates the databases once the server is healthy). DCP stops an executable with
# SIGTERM, which PostgreSQL takes as a "smart" shutdown that waits for every client to leave; a fast shutdown (SIGINT)
# ends sessions and checkpoints, as pg_ctl stop -m fast does for the other profiles.
serve_postgres() {
  stop_postgres
  init_postgres
  setpriv --reuid=postgres --regid=postgres --init-groups "$PG_BIN/postgres" -D "$PG_DATA" &
  local pid=$!
  trap 'kill -INT $pid 2>/dev/null' TERM INT
  wait $pid; wait $pid
}

stop_postgres() {
  [ -n "$PG_BIN" ] && [ -d "$PG_DATA" ] || return 0
  if pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "stopping PostgreSQL"
    pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null || true
  fi
}

pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

write_redis_conf() {
  mkdir -p "$REDIS_DIR"
  cat > "$REDIS_DIR/redis.conf" <<EOF
bind 127.0.0.1
port $REDIS_PORT
dir $REDIS_DIR
daemonize yes
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
requirepass $REDIS_PASSWORD
# Persistence by append-only file, so stop-redis/start-redis brings the data back as a restarted or failed-over server would
# (old key snapshots included: the outage tests rely on it).
appendonly yes
appendfsync everysec
save ""
EOF
  chmod 600 "$REDIS_DIR/redis.conf"
}

start_redis() {
  mkdir -p "$REDIS_DIR"
  if pid_alive "$REDIS_DIR/redis.pid"; then log "Redis already running on $REDIS_PORT"; return; fi
  rm -f "$REDIS_DIR/redis.pid"
  log "starting Redis on 127.0.0.1:$REDIS_PORT"
  write_redis_conf
  redis-server "$REDIS_DIR/redis.conf"
  for _ in $(seq 1 100); do
    if redis-cli -p "$REDIS_PORT" -a "$REDIS_PASSWORD" --no-auth-warning ping 2>/dev/null | grep -q PONG; then return; fi
    sleep 0.1
  done
  log "Redis did not start; see $REDIS_DIR/redis.log"; exit 1
}

serve_redis() {
  stop_redis
  write_redis_conf
  exec redis-server "$REDIS_DIR/redis.conf" --daemonize no --logfile ""
}

stop_redis() {
  if pid_alive "$REDIS_DIR/redis.pid"; then
    log "stopping Redis"
    local pid; pid="$(cat "$REDIS_DIR/redis.pid")"; kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$REDIS_DIR/redis.pid"
}

rabbit_env() {
  export RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia" RABBITMQ_LOG_BASE="$RABBIT_DIR/log"
  export RABBITMQ_FEATURE_FLAGS_FILE="$RABBIT_DIR/feature_flags" RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins"
  export RABBITMQ_PID_FILE="$RABBIT_DIR/rabbitmq.pid" RABBITMQ_NODENAME="nexrelay-$PROFILE@localhost"
  export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$RABBIT_PORT" RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
  export RABBITMQ_CONFIG_FILE="$RABBIT_DIR/rabbitmq" ERL_EPMD_PORT="$EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1
  export RABBITMQ_ADVANCED_CONFIG_FILE="$RABBIT_DIR/advanced.config"
  export HOME="$RABBIT_DIR"
}

rabbit_ready() { (exec 3<>"/dev/tcp/127.0.0.1/$RABBIT_PORT") 2>/dev/null; }

write_rabbit_conf() {
  mkdir -p "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"
  # default_user/default_pass apply when the node's database is first created.
  cat > "$RABBIT_DIR/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$RABBIT_PORT
default_user = nexrelay
default_pass = $RABBIT_PASSWORD
loopback_users = none
log.console = false
log.file.level = warning
EOF
  # Erlang distribution on loopback only.
  echo "[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}]." > "$RABBIT_DIR/advanced.config"
  echo "[]." > "$RABBIT_DIR/enabled_plugins"
  [ -f "$RABBIT_DIR/.erlang.cookie" ] || { secret > "$RABBIT_DIR/.erlang.cookie"; }
  chmod 400 "$RABBIT_DIR/.erlang.cookie"
  chown -R rabbitmq:rabbitmq "$RABBIT_DIR"
}

start_rabbitmq() {
  mkdir -p "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"
  if pid_alive "$RABBIT_DIR/rabbitmq.pid" && rabbit_ready; then log "RabbitMQ already running on $RABBIT_PORT"; return; fi
  stop_rabbitmq_quiet
  log "starting RabbitMQ on 127.0.0.1:$RABBIT_PORT"
  write_rabbit_conf
  (
    rabbit_env
    setsid /usr/sbin/rabbitmq-server >"$RABBIT_DIR/log/stdout.log" 2>&1 < /dev/null &
  )
  for _ in $(seq 1 600); do
    # The new node writes its pid file while it boots: checking it too means a node that is still going away cannot be
    # mistaken for the new one (which would then fail to bind the port and die).
    if pid_alive "$RABBIT_DIR/rabbitmq.pid" && rabbit_ready; then
      # The AMQP listener opens before the default user exists: give boot a moment to finish.
      sleep 1; return
    fi
    sleep 0.1
  done
  log "RabbitMQ did not start; see $RABBIT_DIR/log"; tail -n 30 "$RABBIT_DIR/log/stdout.log" >&2 || true; exit 1
}

stop_rabbitmq_quiet() {
  local pid=""
  [ -s "$RABBIT_DIR/rabbitmq.pid" ] && pid="$(cat "$RABBIT_DIR/rabbitmq.pid")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  # Anything of this node's still alive (a crash can leave beam without a pid file).
  pkill -f -- "-sname nexrelay-$PROFILE@localhost" 2>/dev/null || true
  pkill -f -- "nexrelay-$PROFILE@localhost" 2>/dev/null || true
  # Wait until it is gone and the port is free: a start right after must not meet the old node still listening.
  for _ in $(seq 1 100); do
    pgrep -f -- "nexrelay-$PROFILE@localhost" >/dev/null 2>&1 || rabbit_ready || break
    sleep 0.1
  done
  pkill -9 -f -- "nexrelay-$PROFILE@localhost" 2>/dev/null || true
  pkill -f -- "epmd.*-port $EPMD_PORT" 2>/dev/null || true
  (ERL_EPMD_PORT="$EPMD_PORT" epmd -kill >/dev/null 2>&1 || true)
  rm -f "$RABBIT_DIR/rabbitmq.pid"
}

serve_rabbitmq() {
  stop_rabbitmq_quiet
  write_rabbit_conf
  rabbit_env
  # As the rabbitmq user directly (Debian's wrapper would go through su, which stands between DCP's signal and the node).
  exec setpriv --reuid=rabbitmq --regid=rabbitmq --init-groups /usr/lib/rabbitmq/bin/rabbitmq-server
}

stop_rabbitmq() {
  if [ -d "$RABBIT_DIR" ]; then log "stopping RabbitMQ"; stop_rabbitmq_quiet; fi
}

case "$CMD" in
  install) need_root "$@"; install ;;
  prepare)
    need_root "$@"; install; ensure_secrets; write_env local
    init_postgres; write_redis_conf; write_rabbit_conf
    log "prepared (env: $ENV_FILE)" ;;
  serve)
    need_root "$@"; ensure_secrets
    case "$SERVER" in
      postgres) serve_postgres ;;
      redis) serve_redis ;;
      rabbitmq) serve_rabbitmq ;;
      *) echo "infra: serve postgres|redis|rabbitmq [profile]" >&2; exit 2 ;;
    esac ;;
  start)
    need_root "$@"; install; ensure_secrets; write_env external
    start_postgres; start_redis; start_rabbitmq
    log "ready (env: $ENV_FILE)" ;;
  stop) need_root "$@"; stop_rabbitmq; stop_redis; stop_postgres ;;
  stop-rabbitmq) need_root "$@"; stop_rabbitmq ;;
  start-rabbitmq) need_root "$@"; ensure_secrets; start_rabbitmq ;;
  stop-redis) need_root "$@"; stop_redis ;;
  start-redis) need_root "$@"; ensure_secrets; start_redis ;;
  stop-postgres) need_root "$@"; stop_postgres ;;
  start-postgres) need_root "$@"; ensure_secrets; start_postgres ;;
  env) cat "$ENV_FILE" ;;
  *) echo "usage: $0 install|prepare|serve <server>|start|stop|stop-rabbitmq|start-rabbitmq|stop-redis|start-redis|stop-postgres|start-postgres|env [run|test|bench]" >&2; exit 2 ;;
esac
