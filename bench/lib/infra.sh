#!/usr/bin/env bash
# The benchmark's own PostgreSQL, Redis and RabbitMQ: the same recipe as scripts/infra.sh, but with a `bench` node name,
# ports and data folder of its own, so starting or stopping it never touches the servers of ./run.sh or ./test.sh.
#   bench/lib/infra.sh start|stop        (root; ports from BENCH_INFRA_BASE_PORT, default 57400)
set -euo pipefail

BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BASE_PORT="${BENCH_INFRA_BASE_PORT:-57400}"
PG_PORT=$((BASE_PORT + 32)); REDIS_PORT=$((BASE_PORT + 79)); RABBIT_PORT=$((BASE_PORT + 72))
RABBIT_DIST_PORT=$((BASE_PORT + 73)); EPMD_PORT=$((BASE_PORT + 69))
DATA="$BENCH/.work/data"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
PG_DATA="$DATA/postgres"; PG_SOCK="$DATA/postgres-run"; REDIS_DIR="$DATA/redis"; RABBIT_DIR="$DATA/rabbitmq"
ENV_FILE="$DATA/env"
NODE="nexrelay-bench@localhost"

log() { echo "bench infra: $*" >&2; }
secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
pg() { runuser -u postgres -- "$@"; }
pid_alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  [ -n "$PG_BIN" ] && command -v redis-server >/dev/null && [ -x /usr/sbin/rabbitmq-server ] || "$BENCH/../scripts/infra.sh" install
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  mkdir -p "$DATA"; chmod 755 "$BENCH/.work" "$DATA"
  if [ ! -s "$DATA/secrets" ]; then
    (umask 077; printf 'PG_PASSWORD=%s\nREDIS_PASSWORD=%s\nRABBIT_PASSWORD=%s\n' "$(secret)" "$(secret)" "$(secret)" > "$DATA/secrets")
  fi
  . "$DATA/secrets"
  (umask 077; cat > "$ENV_FILE" <<ENV
export NEXRELAY_PG_HOST=127.0.0.1
export NEXRELAY_PG_PORT=$PG_PORT
export NEXRELAY_PG_USER=nexrelay
export NEXRELAY_PG_PASSWORD=$PG_PASSWORD
export NEXRELAY_REDIS_PORT=$REDIS_PORT
export NEXRELAY_REDIS_PASSWORD=$REDIS_PASSWORD
export NEXRELAY_RABBITMQ_PORT=$RABBIT_PORT
export NEXRELAY_RABBITMQ_USER=nexrelay
export NEXRELAY_RABBITMQ_PASSWORD=$RABBIT_PASSWORD
ENV
)
  # PostgreSQL. Each bench run starts from empty databases, so books and counts are the run's own.
  if [ -d "$PG_DATA" ] && [ ! -s "$PG_DATA/PG_VERSION" ]; then rm -rf "$PG_DATA"; fi
  mkdir -p "$PG_SOCK"; chown postgres:postgres "$PG_SOCK"
  if [ ! -d "$PG_DATA" ]; then
    log "initialising PostgreSQL"
    mkdir -p "$PG_DATA"; chown postgres:postgres "$PG_DATA"; chmod 700 "$PG_DATA"
    local pwfile; pwfile="$(mktemp)"; printf '%s' "$PG_PASSWORD" > "$pwfile"; chown postgres "$pwfile"
    pg "$PG_BIN/initdb" -D "$PG_DATA" -U nexrelay --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >> "$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 400
shared_buffers = 256MB
CONF
  fi
  pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1 || pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_SOCK/postgres.log" -w -t 60 start >/dev/null
  for db in billing keypolicy logging; do
    pg "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U nexrelay -d postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
    pg "$PG_BIN/psql" -h "$PG_SOCK" -p "$PG_PORT" -U nexrelay -d postgres -qc "CREATE DATABASE $db" >/dev/null
  done
  # Redis, emptied for the same reason.
  mkdir -p "$REDIS_DIR"
  if ! pid_alive "$REDIS_DIR/redis.pid"; then
    rm -f "$REDIS_DIR/redis.pid" "$REDIS_DIR"/appendonly* ; rm -rf "$REDIS_DIR/appendonlydir"
    cat > "$REDIS_DIR/redis.conf" <<CONF
bind 127.0.0.1
port $REDIS_PORT
dir $REDIS_DIR
daemonize yes
pidfile $REDIS_DIR/redis.pid
logfile $REDIS_DIR/redis.log
requirepass $REDIS_PASSWORD
save ""
CONF
    chmod 600 "$REDIS_DIR/redis.conf"; redis-server "$REDIS_DIR/redis.conf"
  fi
  for _ in $(seq 1 100); do redis-cli -p "$REDIS_PORT" -a "$REDIS_PASSWORD" --no-auth-warning ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  redis-cli -p "$REDIS_PORT" -a "$REDIS_PASSWORD" --no-auth-warning flushall >/dev/null
  # RabbitMQ on loopback, node name and epmd port of its own.
  if ! (pid_alive "$RABBIT_DIR/rabbitmq.pid" && (exec 3<>"/dev/tcp/127.0.0.1/$RABBIT_PORT") 2>/dev/null); then
    rm -rf "$RABBIT_DIR/mnesia"; mkdir -p "$RABBIT_DIR/mnesia" "$RABBIT_DIR/log"
    cat > "$RABBIT_DIR/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$RABBIT_PORT
default_user = nexrelay
default_pass = $RABBIT_PASSWORD
loopback_users = none
log.console = false
log.file.level = warning
CONF
    echo "[{kernel, [{inet_dist_use_interface, {127,0,0,1}}]}]." > "$RABBIT_DIR/advanced.config"
    echo "[]." > "$RABBIT_DIR/enabled_plugins"
    [ -f "$RABBIT_DIR/.erlang.cookie" ] || secret > "$RABBIT_DIR/.erlang.cookie"
    chmod 400 "$RABBIT_DIR/.erlang.cookie"; chown -R rabbitmq:rabbitmq "$RABBIT_DIR"
    (
      export RABBITMQ_MNESIA_BASE="$RABBIT_DIR/mnesia" RABBITMQ_LOG_BASE="$RABBIT_DIR/log"
      export RABBITMQ_FEATURE_FLAGS_FILE="$RABBIT_DIR/feature_flags" RABBITMQ_ENABLED_PLUGINS_FILE="$RABBIT_DIR/enabled_plugins"
      export RABBITMQ_PID_FILE="$RABBIT_DIR/rabbitmq.pid" RABBITMQ_NODENAME="$NODE"
      export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$RABBIT_PORT" RABBITMQ_DIST_PORT="$RABBIT_DIST_PORT"
      export RABBITMQ_CONFIG_FILE="$RABBIT_DIR/rabbitmq" ERL_EPMD_PORT="$EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1
      export RABBITMQ_ADVANCED_CONFIG_FILE="$RABBIT_DIR/advanced.config" HOME="$RABBIT_DIR"
      setsid /usr/sbin/rabbitmq-server >"$RABBIT_DIR/log/stdout.log" 2>&1 < /dev/null &
    )
    for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$RABBIT_PORT") 2>/dev/null && { sleep 1; break; }; sleep 0.1; done
  fi
  (exec 3<>"/dev/tcp/127.0.0.1/$RABBIT_PORT") 2>/dev/null || { log "RabbitMQ did not start; see $RABBIT_DIR/log"; exit 1; }
  log "ready on base port $BASE_PORT"
}

stop() {
  # Only what this script started: the pids in its own pid files, and the epmd on its own port.
  if [ -s "$RABBIT_DIR/rabbitmq.pid" ]; then
    local pid; pid="$(cat "$RABBIT_DIR/rabbitmq.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$RABBIT_DIR/rabbitmq.pid"
  fi
  (ERL_EPMD_PORT="$EPMD_PORT" epmd -kill >/dev/null 2>&1 || true)
  if pid_alive "$REDIS_DIR/redis.pid"; then kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true; fi
  if [ -n "$PG_BIN" ] && [ -d "$PG_DATA" ] && pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null || true
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
