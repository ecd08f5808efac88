#!/usr/bin/env bash
# One command runs NexRelay: installs what is missing (PostgreSQL, Redis, RabbitMQ from Debian packages), builds, and starts
# the whole stack through the Aspire AppHost in the foreground: the services and the servers they need, all resources of
# the AppHost and visible in its dashboard. Ctrl+C stops everything.
#   NEXRELAY_ADMIN_TOKEN=…   use this admin token, at least 24 characters (else one is generated once and kept in .nexrelay/run/app-secrets)
#   NEXRELAY_EDGE_PORT=8080  the edge's port on 127.0.0.1
#   NEXRELAY_CONSOLE_PORT=8081  the console's port on 127.0.0.1
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT="$(pwd)"
DATA="$ROOT/.nexrelay/run"

command -v dotnet >/dev/null 2>&1 || { echo "run.sh: the .NET 10 SDK (dotnet) is required: https://dot.net" >&2; exit 1; }
mkdir -p "$DATA"
stop_apphost() {
  # The AppHost runs in a process group of its own: signal the group so DCP and every service go with it.
  local pid="$1"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    # TERM, not INT: a background job of a non-interactive shell starts with SIGINT ignored.
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  # DCP stops the services after the AppHost is gone; wait for that before the databases go, then make sure.
  local services="$ROOT/services/NexRelay\.[A-Za-z]+/bin/Release/"
  for _ in $(seq 1 150); do pgrep -f "$services" >/dev/null || break; sleep 0.2; done
  pkill -KILL -f "$services" 2>/dev/null || true
}
# A previous run that crashed (or was killed) may have left its AppHost and services behind.
if [ -s "$DATA/apphost.pid" ]; then
  stale="$(cat "$DATA/apphost.pid")"
  if kill -0 "$stale" 2>/dev/null && grep -q NexRelay.AppHost "/proc/$stale/cmdline" 2>/dev/null; then
    echo "run.sh: stopping the NexRelay left running by a previous run (pid $stale)" >&2
    stop_apphost "$stale"
  else
    stop_apphost ""   # its services, if the AppHost itself is already gone
  fi
  rm -f "$DATA/apphost.pid"
fi
# The AppHost runs the servers (scripts/infra.sh serve …); here they are installed and their data folders prepared. Servers
# that a killed AppHost left running are stopped first, or the new ones could not take their ports.
scripts/infra.sh stop run >/dev/null 2>&1 || true
scripts/infra.sh prepare run
apphost_pid=""
cleanup() {
  trap - EXIT INT TERM
  if [ -n "$apphost_pid" ]; then
    echo "run.sh: stopping NexRelay…" >&2
    stop_apphost "$apphost_pid"
    rm -f "$DATA/apphost.pid"
  fi
  # DCP stopped the servers with the AppHost; this only sweeps up after one that could not stop them.
  scripts/infra.sh stop run >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM

set -a; . "$DATA/env"; set +a
# App secrets, generated once and kept with the data so keys stay valid across restarts.
if [ ! -s "$DATA/app-secrets" ]; then
  umask 077
  printf 'NEXRELAY_ADMIN_TOKEN_GENERATED=nra_%s\nNEXRELAY_KEY_HASH_SECRET=%s\n' \
    "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" > "$DATA/app-secrets"
  umask 022
fi
. "$DATA/app-secrets"
export NEXRELAY_ADMIN_TOKEN="${NEXRELAY_ADMIN_TOKEN:-$NEXRELAY_ADMIN_TOKEN_GENERATED}"
export NEXRELAY_KEY_HASH_SECRET
EDGE_PORT="${NEXRELAY_EDGE_PORT:-8080}"
export NEXRELAY_EDGE_PORT="$EDGE_PORT"
CONSOLE_PORT="${NEXRELAY_CONSOLE_PORT:-8081}"
export NEXRELAY_CONSOLE_PORT="$CONSOLE_PORT"

echo "run.sh: building (Release)…" >&2
dotnet build NexRelay.AppHost -c Release -v quiet -nologo

export DOTNET_ENVIRONMENT=Development ASPNETCORE_ENVIRONMENT=Development
export ASPNETCORE_URLS="http://127.0.0.1:${NEXRELAY_DASHBOARD_PORT:-18888}"
# Plain HTTP on 127.0.0.1 (no development certificate to trust, so no certificate banner), but not anonymous: the
# dashboard shows every service's settings and telemetry, so the browser needs this run's token (printed below, in the
# login link), and the services' telemetry is accepted only with the OTLP API key the AppHost generates for each run.
export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true ASPIRE_TRUST_DEVELOPER_CERTIFICATE=false
DASHBOARD_TOKEN="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export ASPIRE_DASHBOARD_FRONTEND_BROWSERTOKEN="$DASHBOARD_TOKEN"
export ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL="http://127.0.0.1:${NEXRELAY_OTLP_PORT:-18889}"
export ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL="http://127.0.0.1:${NEXRELAY_RESOURCE_SERVICE_PORT:-18890}"
setsid "$ROOT/NexRelay.AppHost/bin/Release/net10.0/NexRelay.AppHost" > "$DATA/apphost.log" 2>&1 < /dev/null &
apphost_pid=$!
echo "$apphost_pid" > "$DATA/apphost.pid"

EDGE="http://127.0.0.1:$EDGE_PORT"
echo "run.sh: starting the services (log: $DATA/apphost.log)…" >&2
for _ in $(seq 1 600); do
  kill -0 "$apphost_pid" 2>/dev/null || { echo "run.sh: the AppHost exited; last lines of its log:" >&2; tail -n 40 "$DATA/apphost.log" >&2; exit 1; }
  if curl -fsS "$EDGE/health" >/dev/null 2>&1; then break; fi
  sleep 0.5
done
curl -fsS "$EDGE/health" >/dev/null 2>&1 || { echo "run.sh: the edge did not become healthy; see $DATA/apphost.log" >&2; exit 1; }

DEMO_KEY=""
if [ -x scripts/demo-key.sh ]; then DEMO_KEY="$(scripts/demo-key.sh "$EDGE" "$NEXRELAY_ADMIN_TOKEN" "$DATA" || true)"; fi

cat <<INFO

  NexRelay is running.
    Edge (public API):  $EDGE
    Console:            http://127.0.0.1:$CONSOLE_PORT   (sign in with the demo key below, or the admin token)
    Dashboard:          http://127.0.0.1:${NEXRELAY_DASHBOARD_PORT:-18888}/login?t=$DASHBOARD_TOKEN
    Admin token:        $NEXRELAY_ADMIN_TOKEN
INFO
if [ -n "$DEMO_KEY" ]; then cat <<INFO
    Demo API key:       $DEMO_KEY   (wallet funded with \$10 of demo credit)

  Try it:
    curl $EDGE/api/v1/chat/completions -H "Authorization: Bearer $DEMO_KEY" \\
      -H 'Content-Type: application/json' -d '{"model":"gpt-5.4","messages":[{"role":"user","content":"Hello!"}]}'
INFO
fi
echo "
  Ctrl+C stops everything."
wait "$apphost_pid"
