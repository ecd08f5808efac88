#!/usr/bin/env bash
# The console's pages on big data (issue 21: "with 1 million log rows for a key, the requests page and overview render in
# under 300 ms server time"). Runs against the stack ./run.sh started: creates a wallet and a key through the admin API,
# gives the key N request-log rows over the last 30 days straight into the logging database (with their daily usage
# rollups, as the logging service would have kept them), signs in to the console as that key and as the operator, and
# times each page REPS times on 127.0.0.1 (curl's time to the last byte: the console's rendering plus its API calls
# through the edge to logging, key-policy and billing). Then it deletes its rows and rollups and revokes the key.
#   ./run.sh &   then   bench/console-scale.sh [--rows N] [--reps N]     (default 1,000,000 rows, 50 reps)
# Writes bench/results/console-scale-latest.md. bench/scale.sh measures the logging service's own queries at 50 million
# rows; this measures what a person waits for in the console, with every service of ./run.sh in the path.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
ROWS=1000000; REPS=50
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS="$2"; shift ;;
    --reps) REPS="$2"; shift ;;
    *) echo "usage: bench/console-scale.sh [--rows N] [--reps N]" >&2; exit 2 ;;
  esac
  shift
done
DATA="$ROOT/.nexrelay/run"
log() { echo "console-scale: $*" >&2; }
die() { log "$*"; exit 1; }
[ -f "$DATA/env" ] && [ -f "$DATA/app-secrets" ] || die "no ./run.sh data in $DATA: start ./run.sh first"
set -a; . "$DATA/env"; . "$DATA/app-secrets"; set +a
ADMIN="${NEXRELAY_ADMIN_TOKEN:-$NEXRELAY_ADMIN_TOKEN_GENERATED}"
EDGE="http://127.0.0.1:${NEXRELAY_EDGE_PORT:-8080}"; CONSOLE="http://127.0.0.1:${NEXRELAY_CONSOLE_PORT:-8081}"
curl -fsS -m 5 -o /dev/null "$EDGE/health" && curl -fsS -m 5 -o /dev/null "$CONSOLE/health" || die "the edge or the console is not up: start ./run.sh first"
export PGPASSWORD="$NEXRELAY_PG_PASSWORD"
sql() { psql -h 127.0.0.1 -p "$NEXRELAY_PG_PORT" -U "$NEXRELAY_PG_USER" -v ON_ERROR_STOP=1 -qtAX "$@"; }
DB="$(sql -d postgres -c "SELECT datname FROM pg_database WHERE datname LIKE 'logging%' ORDER BY datname LIMIT 1")"
[ -n "$DB" ] || die "no logging database on $NEXRELAY_PG_PORT"
json() { python3 -c "import sys,json; print(json.load(sys.stdin)$1)"; }
auth=(-H "Authorization: Bearer $ADMIN" -H "Content-Type: application/json")
OUT="$BENCH/.work/out-console-scale"; rm -rf "$OUT"; mkdir -p "$OUT"
PREFIX="req_cscale_$(date +%s)_"

log "a wallet and a key for the rows"
WALLET="$(curl -fsS "$EDGE/admin/v1/wallets" "${auth[@]}" -d '{"name":"console-scale"}' | json "['id']")"
curl -fsS "$EDGE/admin/v1/wallets/$WALLET/credits" "${auth[@]}" -d "{\"amount_usd\":5,\"reference\":\"console-scale-$WALLET\"}" >/dev/null
curl -fsS "$EDGE/admin/v1/keys" "${auth[@]}" -d "{\"wallet_id\":\"$WALLET\",\"name\":\"console-scale\"}" > "$OUT/key.json"
KEY="$(json "['key']" < "$OUT/key.json")"; KEY_ID="$(json "['id']" < "$OUT/key.json")"; HINT="$(json "['hint']" < "$OUT/key.json")"

cleanup() {
  log "removing the rows, their rollups and the key"
  sql -d "$DB" -c "DELETE FROM request_logs WHERE key_id = '$KEY_ID'" -c "DELETE FROM usage_daily WHERE key_id = '$KEY_ID'" \
    -c "DELETE FROM usage_pending WHERE key_id = '$KEY_ID'" >/dev/null 2>&1 || true
  curl -fsS -o /dev/null -X DELETE "$EDGE/admin/v1/keys/$KEY_ID" "${auth[@]}" 2>/dev/null || true
}
trap cleanup EXIT

log "seeding $ROWS request-log rows for key $KEY_ID over 30 days"
started=$(date +%s)
sql -d "$DB" <<SQL
INSERT INTO request_logs (request_id, created_at, key_id, key_hint, wallet_id, client_format, route, model, upstream_provider,
    upstream_model, stream, status, error_code, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens,
    usage_estimated, usage_clamped, held_micros, cost_micros, latency_ms, upstream_ttfb_ms, ttft_ms, finish_reason,
    client_ip, user_agent)
SELECT '$PREFIX' || g, now() - interval '1 minute' - ((g::bigint * 7919) % (30 * 86400)) * interval '1 second',
       '$KEY_ID', '$HINT', '$WALLET',
       (ARRAY['openai-chat', 'anthropic', 'gemini', 'openai-responses'])[1 + g % 4], '/api/v1/chat/completions',
       (ARRAY['gpt-5.4', 'claude-sonnet-4-6', 'gemini-2.5-flash'])[1 + g % 3],
       (ARRAY['simulated-openai', 'simulated-anthropic', 'simulated-gemini'])[1 + g % 3], 'upstream-model',
       g % 2 = 0, CASE WHEN g % 50 = 0 THEN 429 ELSE 200 END, CASE WHEN g % 50 = 0 THEN 'rate_limited' END,
       100 + g % 900, g % 100, 10 + g % 500, 0, false, false, 20000, 1 + g % 5000, 300 + g % 700, 50, 60, 'stop',
       '127.0.0.1', 'console-scale/1.0'
FROM generate_series(1, $ROWS) AS g;
INSERT INTO usage_daily (day, wallet_id, key_id, model, status, upstream_provider, requests, input_tokens, cached_input_tokens,
    output_tokens, reasoning_tokens, cost_micros)
SELECT (created_at AT TIME ZONE 'UTC')::date, wallet_id, key_id, model, status, upstream_provider, count(*), sum(input_tokens),
       sum(cached_input_tokens), sum(output_tokens), sum(reasoning_tokens), sum(cost_micros)
FROM request_logs WHERE key_id = '$KEY_ID' GROUP BY 1, 2, 3, 4, 5, 6;
ANALYZE request_logs;
ANALYZE usage_daily;
SQL
log "seeded in $(( $(date +%s) - started )) s"
SOME_REQUEST="${PREFIX}$((ROWS / 2))"

# Signs in through the console's own form (anti-forgery token and cookie), as a browser does.
signin() { # jar credential
  local token
  token="$(curl -fsS -c "$1" "$CONSOLE/signin" | grep -o 'name="__RequestVerificationToken" value="[^"]*"' | sed 's/.*value="//;s/"$//')"
  [ "$(curl -sS -o /dev/null -w '%{http_code}' -b "$1" -c "$1" -X POST "$CONSOLE/signin" --data-urlencode "_handler=signin" \
    --data-urlencode "__RequestVerificationToken=$token" --data-urlencode "Form.Credential=$2")" = 302 ] || die "signing in to the console failed"
}
signin "$OUT/holder.jar" "$KEY"
signin "$OUT/operator.jar" "$ADMIN"

# name jar path: REPS timed GETs after 3 unmeasured; each must be a 200 that names something of the key's data.
results=()
measure() {
  local name="$1" jar="$2" path="$3" times="$OUT/$1.times" code t
  for i in $(seq 1 $((REPS + 3))); do
    read -r code t < <(curl -sS -o "$OUT/$name.html" -b "$jar" -w '%{http_code} %{time_total}\n' "$CONSOLE$path")
    [ "$code" = 200 ] || die "$name ($path) answered $code"
    [ "$i" -gt 3 ] && echo "$t" >> "$times"
  done
  grep -q -e "$HINT" -e "$KEY_ID" -e "console-scale" -e "$SOME_REQUEST" "$OUT/$name.html" || die "$name ($path) does not show the key's data"
  results+=("$(sort -n "$times" | awk -v name="$name" -v path="$path" '{ t[NR] = $1 * 1000 } END {
    p50 = t[int((NR + 1) / 2)]; p99 = t[int(NR * 0.99 + 0.999)]; printf "| %s | `%s` | %d | %.1f | %.1f | %.1f | %s |", name, path, NR, p50, p99, t[NR], (p99 <= 300 ? "met" : "**missed**") }')")
  log "${results[-1]}"
}
measure overview "$OUT/holder.jar" "/overview"
measure requests "$OUT/holder.jar" "/requests"
measure requests-filtered "$OUT/holder.jar" "/requests?model=claude-sonnet-4-6&status=429"
measure request-detail "$OUT/holder.jar" "/requests/$SOME_REQUEST"
measure key "$OUT/holder.jar" "/key"
measure operator-usage "$OUT/operator.jar" "/admin/usage?wallet_id=$WALLET"
measure operator-wallet "$OUT/operator.jar" "/admin/wallets/$WALLET"
measure operator-requests "$OUT/operator.jar" "/admin/requests?wallet_id=$WALLET"

mkdir -p "$BENCH/results"
{
  echo "# NexRelay console at scale"
  echo
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo), everything co-located."
  echo "- One key with $ROWS request-log rows over the last 30 days (and its daily rollups), beside whatever else ./run.sh's database holds; the stack as ./run.sh runs it (Debug build, dashboard on)."
  echo "- Time: curl on 127.0.0.1 from the request to the page's last byte, $REPS times after 3 unmeasured, so the console's rendering and its API calls (console → edge → logging, key-policy, billing) are all inside it."
  echo
  echo "| page | path | n | p50 ms | p99 ms | max ms | p99 ≤ 300 ms |"
  echo "|---|---|---:|---:|---:|---:|---|"
  printf '%s\n' "${results[@]}"
} > "$BENCH/results/console-scale-latest.md"
cat "$BENCH/results/console-scale-latest.md"
