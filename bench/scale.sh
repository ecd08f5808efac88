#!/usr/bin/env bash
# NexRelay scale benchmark: does what an owner's queries cost grow with the data? Seeds request logs straight into
# PostgreSQL by generator (90 days, many keys and wallets, one hot key with a large share), starts the logging service on
# them, and measures its owner-facing queries: a logs page (first and deep in a filtered listing), usage over 30 days of the
# hot key (from the daily rollup), usage across every wallet for a month, a month's CSV export (streamed: the service's
# memory is watched), and the disk each request costs. The usage query as it was before the rollup (a scan of the rows)
# runs beside it on the same data for comparison. See bench/README.md, "Scale".
#   bench/scale.sh                 50 million rows, 100,000 keys, 10,000 wallets, a hot key with 2 million (~30 min, ~30 GB)
#   bench/scale.sh --rows N        the same shape with N rows (the hot key keeps its 4 % share)
#   bench/scale.sh --keys N        N keys for the key lookups (default 1 million)
#   bench/scale.sh --smoke         20,000 rows, 1,000 keys: every query still runs and is checked (part of ./test.sh)
# Writes bench/results/scale-latest.md (or .work/out-scale-smoke/scale.md in smoke mode). Uses the bench profile's servers.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
ROWS=50000000; KEYS=100000; WALLETS=10000; REPS=200; MODE=full; KEY_ROWS=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) MODE=smoke; ROWS=20000; KEYS=100; WALLETS=10; REPS=20; KEY_ROWS=1000 ;;
    --rows) ROWS="$2"; shift ;;
    --keys) KEY_ROWS="$2"; shift ;;
    *) echo "usage: bench/scale.sh [--smoke|--rows N]" >&2; exit 2 ;;
  esac
  shift
done
HOT_ROWS=$((ROWS / 25))
DAYS=90
OUT="$BENCH/.work/out-scale-$MODE"; mkdir -p "$OUT"
REPORT="$BENCH/results/scale-latest.md"; [ "$MODE" = smoke ] && REPORT="$OUT/scale.md"
PORT="${BENCH_SCALE_PORT:-57590}"; LOGGING="http://127.0.0.1:$PORT"
DB=scale_logging
HOT_KEY=00000000-0000-4000-8000-00000000a001; HOT_WALLET=00000000-0000-4000-8000-00000000b001
ADMIN_TOKEN="nra_scale_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
log() { echo "scale: $*" >&2; }
die() { log "$*"; exit 1; }

logging_pid=""; keypolicy_pid=""
cleanup() {
  [ -n "$logging_pid" ] && kill "$logging_pid" 2>/dev/null && wait "$logging_pid" 2>/dev/null || true
  [ -n "$keypolicy_pid" ] && kill "$keypolicy_pid" 2>/dev/null && wait "$keypolicy_pid" 2>/dev/null || true
  "$ROOT/scripts/infra.sh" stop bench >/dev/null 2>&1 || true
}
trap cleanup EXIT

log "building the logging and key-policy services (Release)"
(cd "$ROOT" && dotnet build services/NexRelay.Logging -c Release -v quiet -nologo >"$OUT/build.log" 2>&1 \
  && dotnet build services/NexRelay.KeyPolicy -c Release -v quiet -nologo >>"$OUT/build.log" 2>&1) || { tail -n 30 "$OUT/build.log" >&2; die "build failed"; }
"$ROOT/scripts/infra.sh" start bench
set -a; . "$ROOT/.nexrelay/bench/env"; set +a
export PGPASSWORD="$NEXRELAY_PG_PASSWORD"
sql() { psql -h 127.0.0.1 -p "$NEXRELAY_PG_PORT" -U nexrelay -v ON_ERROR_STOP=1 -qtAX "$@"; }
sql -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"

start_logging() {
  ConnectionStrings__loggingdb="Host=127.0.0.1;Port=$NEXRELAY_PG_PORT;Username=nexrelay;Password=$NEXRELAY_PG_PASSWORD;Database=$DB" \
  ConnectionStrings__messaging="amqp://nexrelay:$NEXRELAY_RABBITMQ_PASSWORD@127.0.0.1:$NEXRELAY_RABBITMQ_PORT/" \
  NexRelay__AdminToken="$ADMIN_TOKEN" Logging__IngestQueue=scale-log Logging__RetentionDays=$((DAYS + 30)) \
  Logging__LogLevel__Default=Warning DOTNET_ENVIRONMENT=Production \
    dotnet "$ROOT/services/NexRelay.Logging/bin/Release/net10.0/NexRelay.Logging.dll" --urls "$LOGGING" >>"$OUT/logging.log" 2>&1 &
  logging_pid=$!
  for _ in $(seq 1 300); do curl -fsS "$LOGGING/health" >/dev/null 2>&1 && return; kill -0 "$logging_pid" 2>/dev/null || break; sleep 0.2; done
  tail -n 30 "$OUT/logging.log" >&2; die "the logging service did not start"
}
stop_logging() { kill "$logging_pid" 2>/dev/null; wait "$logging_pid" 2>/dev/null || true; logging_pid=""; }

# The service's own migrations make the schema; the rows then go in as a generator writes them, the hot key's first.
start_logging; stop_logging
log "seeding $ROWS request logs over $DAYS days ($KEYS keys, $WALLETS wallets, $HOT_ROWS on the hot key)"
seed_started=$(date +%s)
chunk=1000000
for ((lo = 1; lo <= ROWS; lo += chunk)); do
  hi=$((lo + chunk - 1)); [ "$hi" -gt "$ROWS" ] && hi=$ROWS
  sql -d "$DB" <<SQL
INSERT INTO request_logs (request_id, created_at, key_id, key_hint, wallet_id, client_format, route, model, upstream_provider,
    upstream_model, stream, status, error_code, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens,
    usage_estimated, usage_clamped, held_micros, cost_micros, latency_ms, upstream_ttfb_ms, ttft_ms, finish_reason,
    client_ip, user_agent)
SELECT 'req_scale_' || g,
       now() - ((g::bigint * 7919) % ($DAYS * 86400)) * interval '1 second',
       CASE WHEN g <= $HOT_ROWS THEN '$HOT_KEY'::uuid ELSE md5('key' || (g % $KEYS))::uuid END,
       'nrk_…abcd',
       CASE WHEN g <= $HOT_ROWS THEN '$HOT_WALLET'::uuid ELSE md5('wallet' || ((g % $KEYS) % $WALLETS))::uuid END,
       (ARRAY['openai-chat', 'anthropic', 'gemini', 'openai-responses'])[1 + g % 4], '/api/v1/chat/completions',
       (ARRAY['gpt-5.4', 'claude-sonnet-4-6', 'gemini-2.5-flash'])[1 + g % 3], 'simulated', 'upstream-model',
       g % 2 = 0, CASE WHEN g % 50 = 0 THEN 429 ELSE 200 END, CASE WHEN g % 50 = 0 THEN 'rate_limited' END,
       100 + g % 900, g % 100, 10 + g % 500, 0, false, false, 20000, 1 + g % 5000, 300 + g % 700, 50, 60, 'stop',
       '127.0.0.1', 'bench/1.0'
FROM generate_series($lo, $hi) AS g;
SQL
  log "  $hi rows"
done
# The rollup as the migration backfills it (the service maintains it as it stores rows).
sql -d "$DB" -c "INSERT INTO usage_daily (day, wallet_id, key_id, model, status, upstream_provider, requests, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_micros) SELECT (created_at AT TIME ZONE 'UTC')::date, wallet_id, key_id, model, status, upstream_provider, count(*), sum(input_tokens), sum(cached_input_tokens), sum(output_tokens), sum(reasoning_tokens), sum(cost_micros) FROM request_logs GROUP BY 1, 2, 3, 4, 5, 6" \
  -c "INSERT INTO usage_daily_all (day, model, status, upstream_provider, requests, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, cost_micros) SELECT day, model, status, upstream_provider, sum(requests), sum(input_tokens), sum(cached_input_tokens), sum(output_tokens), sum(reasoning_tokens), sum(cost_micros) FROM usage_daily GROUP BY 1, 2, 3, 4" \
  -c "VACUUM ANALYZE request_logs" -c "VACUUM ANALYZE usage_daily" -c "VACUUM ANALYZE usage_daily_all"
seed_seconds=$(( $(date +%s) - seed_started ))
start_logging

iso() { date -u -d "$1" +%Y-%m-%dT%H:%M:%SZ; }
# A cursor 45 days back: newest first, so the page holds the rows just before it.
deep_micros=$(( ($(date +%s) - 45 * 86400) * 1000000 ))
DEEP_CURSOR=$(printf '%s:req_scale_~' "$deep_micros" | base64 -w0 | tr '+/' '-_' | tr -d '=')
MONTH_FROM=$(iso "30 days ago"); MONTH_TO=$(iso "now")
PREV_FROM=$(date -u -d "$(date -u +%Y-%m-01) -1 month" +%Y-%m-%dT00:00:00Z); PREV_TO=$(date -u +%Y-%m-01T00:00:00Z)

# p50/p99/max of REPS sequential requests, in ms, after 3 unmeasured ones; fails on any non-200.
measure() {
  local name="$1" url="$2"; shift 2
  local file="$OUT/$name.times"; : > "$file"
  for i in $(seq 1 $((REPS + 3))); do
    local line; line=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $ADMIN_TOKEN" "$@" "$LOGGING$url")
    [ "${line%% *}" = 200 ] || die "$name: HTTP ${line%% *} for $url"
    [ "$i" -gt 3 ] && echo "${line#* }" >> "$file"
  done
  percentiles "$name" "$file"
}
percentiles() {
  python3 - "$2" "$1" <<'PY'
import sys
t = sorted(float(x) * 1000 for x in open(sys.argv[1]))
q = lambda p: t[min(len(t) - 1, int(round(p * (len(t) - 1))))]
print(f"{sys.argv[2]} {q(0.5):.2f} {q(0.99):.2f} {t[-1]:.2f}")
PY
}

log "measuring ($REPS requests per query)"
{
  measure logs_first_page "/admin/v1/logs?key_id=$HOT_KEY&limit=50"
  measure logs_deep_filtered "/admin/v1/logs?key_id=$HOT_KEY&model=gpt-5.4&status=200&limit=50&cursor=$DEEP_CURSOR"
  measure usage_hot_key_30d "/admin/v1/usage?key_id=$HOT_KEY&group_by=day&from=$MONTH_FROM"
  measure usage_hot_key_30d_partial_days "/admin/v1/usage?key_id=$HOT_KEY&group_by=model&from=$(iso '30 days ago 13:17')&to=$(iso 'now')"
  REPS=$(( REPS > 20 ? 20 : REPS )) measure usage_all_wallets_month "/admin/v1/usage?group_by=model&from=$PREV_FROM&to=$PREV_TO"
} > "$OUT/latency.txt"

# The usage query before the rollup: the same 30 days of the hot key, summed from its rows (best of 5, server-side time).
raw_ms=$(for _ in 1 2 3 4 5; do
  sql -d "$DB" -c "EXPLAIN (ANALYZE, FORMAT JSON) SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), count(*), sum(input_tokens), sum(cost_micros) FROM request_logs WHERE key_id = '$HOT_KEY' AND created_at >= '$MONTH_FROM' GROUP BY 1" \
    | python3 -c 'import sys, json; print(json.load(sys.stdin)[0]["Execution Time"])'
done | sort -n | head -1)

# A month of the hot key as CSV: streamed (the service's resident memory barely moves) and complete.
rss() { awk '/VmRSS/ {print $2}' "/proc/$logging_pid/status"; }
rss_before=$(rss)
csv_started=$(date +%s.%N)
curl -sS -H "Authorization: Bearer $ADMIN_TOKEN" -H "Accept: text/csv" "$LOGGING/admin/v1/logs?key_id=$HOT_KEY&from=$MONTH_FROM" -o "$OUT/month.csv"
csv_seconds=$(python3 -c "import time; print(f'{time.time() - $csv_started:.1f}')")
rss_after=$(rss)
csv_rows=$(( $(wc -l < "$OUT/month.csv") - 1 ))
expected_rows=$(sql -d "$DB" -c "SELECT count(*) FROM request_logs WHERE key_id = '$HOT_KEY' AND created_at >= '$MONTH_FROM'")
[ "$csv_rows" -ge "$expected_rows" ] || die "the CSV export held $csv_rows rows, the month has $expected_rows"

# ---- keys: lookups among many keys -----------------------------------------------------------------------------------
# Key-policy's lookup by hash (what the edge calls on a key its memory and Redis do not hold: a cold lookup), each request
# a different key, among KEY_ROWS keys seeded the same way.
KEY_DB=scale_keypolicy; KEYPOLICY="http://127.0.0.1:$((PORT + 1))"; INTERNAL_TOKEN="nri_scale_$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
sql -d postgres -c "DROP DATABASE IF EXISTS $KEY_DB WITH (FORCE)" -c "CREATE DATABASE $KEY_DB"
ConnectionStrings__keypolicydb="Host=127.0.0.1;Port=$NEXRELAY_PG_PORT;Username=nexrelay;Password=$NEXRELAY_PG_PASSWORD;Database=$KEY_DB" \
ConnectionStrings__redis="127.0.0.1:$NEXRELAY_REDIS_PORT,password=$NEXRELAY_REDIS_PASSWORD,abortConnect=false" \
ConnectionStrings__messaging="amqp://nexrelay:$NEXRELAY_RABBITMQ_PASSWORD@127.0.0.1:$NEXRELAY_RABBITMQ_PORT/" \
NexRelay__AdminToken="$ADMIN_TOKEN" NexRelay__InternalToken="$INTERNAL_TOKEN" NexRelay__KeyHashSecret="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
Logging__LogLevel__Default=Warning DOTNET_ENVIRONMENT=Production \
  dotnet "$ROOT/services/NexRelay.KeyPolicy/bin/Release/net10.0/NexRelay.KeyPolicy.dll" --urls "$KEYPOLICY" >"$OUT/keypolicy.log" 2>&1 &
keypolicy_pid=$!
for _ in $(seq 1 300); do curl -fsS "$KEYPOLICY/health" >/dev/null 2>&1 && break; kill -0 "$keypolicy_pid" 2>/dev/null || break; sleep 0.2; done
curl -fsS "$KEYPOLICY/health" >/dev/null 2>&1 || { tail -n 30 "$OUT/keypolicy.log" >&2; die "key-policy did not start"; }
log "seeding $KEY_ROWS keys"
sql -d "$KEY_DB" -c "INSERT INTO keys (id, wallet_id, name, key_hash, hint) SELECT md5('key' || g)::uuid, md5('wallet' || (g % $WALLETS))::uuid, 'key ' || g, md5('hash-a' || g) || md5('hash-b' || g), 'nrk_…' || g FROM generate_series(1, $KEY_ROWS) AS g" \
  -c "VACUUM ANALYZE keys"
sql -d "$KEY_DB" -c "SELECT key_hash FROM keys ORDER BY random() LIMIT $((REPS + 3))" > "$OUT/hashes"
: > "$OUT/key_lookup_cold.times"; n=0
while read -r hash; do
  line=$(curl -sS -o /dev/null -w '%{http_code} %{time_total}\n' -H "X-NexRelay-Internal-Token: $INTERNAL_TOKEN" -H 'Content-Type: application/json' \
    -d "{\"key_hash\":\"$hash\"}" "$KEYPOLICY/internal/keys/lookup")
  [ "${line%% *}" = 200 ] || die "key lookup: HTTP ${line%% *}"
  n=$((n + 1)); [ "$n" -gt 3 ] && echo "${line#* }" >> "$OUT/key_lookup_cold.times"
done < "$OUT/hashes"
percentiles key_lookup_cold "$OUT/key_lookup_cold.times" >> "$OUT/latency.txt"
kill "$keypolicy_pid" 2>/dev/null; wait "$keypolicy_pid" 2>/dev/null || true

read -r log_bytes rollup_bytes rollup_rows < <(sql -d "$DB" -F ' ' -c "SELECT pg_total_relation_size('request_logs'), pg_total_relation_size('usage_daily') + pg_total_relation_size('usage_daily_all'), (SELECT count(*) FROM usage_daily)")
# The rollup still matches the rows (the check the tests run on small data, here on all of it).
mismatched=$(sql -d "$DB" -c "SELECT count(*) FROM (SELECT (created_at AT TIME ZONE 'UTC')::date, wallet_id, key_id, model, status, upstream_provider, count(*), sum(cost_micros) FROM request_logs GROUP BY 1, 2, 3, 4, 5, 6 EXCEPT SELECT day, wallet_id, key_id, model, status, upstream_provider, requests, cost_micros FROM usage_daily) AS m") \
  && mismatched=$((mismatched + $(sql -d "$DB" -c "SELECT count(*) FROM (SELECT (created_at AT TIME ZONE 'UTC')::date, model, status, upstream_provider, count(*), sum(cost_micros) FROM request_logs GROUP BY 1, 2, 3, 4 EXCEPT SELECT day, model, status, upstream_provider, requests, cost_micros FROM usage_daily_all) AS m")))
[ "$mismatched" = 0 ] || die "$mismatched rollup groups differ from the rows"

python3 - "$OUT/latency.txt" "$REPORT" <<PY
import sys, datetime, platform, os
rows = {l.split()[0]: [float(x) for x in l.split()[1:]] for l in open(sys.argv[1]) if l.strip()}
targets = {"key_lookup_cold": 2, "logs_first_page": 20, "logs_deep_filtered": 20, "usage_hot_key_30d": 50, "usage_hot_key_30d_partial_days": 50, "usage_all_wallets_month": 500}
what = {
  "key_lookup_cold": f"key-policy's lookup by hash (a cold key for the edge), a different key each time among {$KEY_ROWS:,}",
  "logs_first_page": "GET /admin/v1/logs, the hot key's first page (50)",
  "logs_deep_filtered": "the same key filtered by model and status, a page 45 days deep",
  "usage_hot_key_30d": "GET /admin/v1/usage, 30 days of the hot key by day (whole days: rollup)",
  "usage_hot_key_30d_partial_days": "the same by model from 13:17 30 days ago to now (rollup + two partial days of rows)",
  "usage_all_wallets_month": "usage across every wallet for last calendar month, by model (rollup across wallets)",
}
rows_total = $ROWS
out = [f"# Scale benchmark ({'smoke' if '$MODE' == 'smoke' else 'full'})", "",
  f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, {platform.machine()}; "
  f"{rows_total:,} request logs over $DAYS days, $KEYS keys, $WALLETS wallets, the hot key {$HOT_ROWS:,} rows; seeded in ${seed_seconds} s. "
  "Measured against the logging service directly (the edge's /api/v1/logs and /api/v1/usage add their key check and one proxy hop).", "",
  "| query | p50 ms | p99 ms | max ms | target p99 | |", "|---|---:|---:|---:|---:|---|"]
for k, (p50, p99, mx) in rows.items():
  t = targets[k]
  out.append(f"| {what[k]} | {p50:.2f} | {p99:.2f} | {mx:.2f} | ≤ {t} | {'met' if p99 <= t else 'missed'} |")
out += ["",
  f"- The same 30-day usage of the hot key summed from its rows, as before the rollup: **{float('$raw_ms'):.1f} ms** in PostgreSQL alone (best of 5).",
  f"- CSV export of a month of the hot key: $csv_rows rows in $csv_seconds s; the service's resident memory went from {int('$rss_before')//1024} MB to {int('$rss_after')//1024} MB.",
  f"- Disk: request_logs with its indexes {int('$log_bytes')/rows_total:.0f} bytes per request; the usage rollups {int('$rollup_bytes')/rows_total:.0f} bytes per request ({int('$rollup_bytes')/1024/1024:.1f} MB, $rollup_rows rows per day, key, model and status).",
  "- Both rollups matched the rows (every day, wallet, key, model and status group; every day, model and status group).", ""]
open(sys.argv[2], "w").write("\n".join(out))
print("\n".join(out))
PY
