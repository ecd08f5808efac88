#!/usr/bin/env bash
# NexRelay benchmark: the simulated provider called directly (the floor), NexRelay's edge on the full prepaid path, and a
# peer gateway (Portkey's open-source gateway), side by side in the same run. See bench/README.md.
#   bench/run.sh            full run (~10 min): writes bench/results/latest.md
#   bench/run.sh --smoke    a few seconds of tiny load per path, books still checked; exits non-zero on any failure
#   bench/run.sh --serve    the same stack, a funded key and no load: for profiling (dotnet-trace, dotnet-counters) by hand
# Everything listens on 127.0.0.1, every load is bounded in time, and everything started here is stopped on exit.
set -euo pipefail
BENCH="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH/.." && pwd)"
MODE=full
case "${1:-}" in
  --smoke) MODE=smoke ;;
  --serve) MODE=serve ;;
  "") ;;
  *) echo "usage: bench/run.sh [--smoke|--serve]" >&2; exit 2 ;;
esac
WORK="$BENCH/.work"; OUT="$WORK/out-$MODE"
# 10,000 open streams hold ~20,000 sockets in the edge (each client's and its upstream's) and 10,000 in the simulated
# provider and the opener: above the usual 20,000 descriptors. Everything started below inherits this.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
mkdir -p "$OUT"; RESULTS="$OUT/results.jsonl"; : > "$RESULTS"
PORT_BASE="${BENCH_PORT_BASE:-57500}"
SIM_PORT=$((PORT_BASE + 1)); PORTKEY_PORT=$((PORT_BASE + 2)); HOP_PORT=$((PORT_BASE + 3)); EDGE_PORT=$((PORT_BASE + 80))
SIM="http://127.0.0.1:$SIM_PORT"; PORTKEY="http://127.0.0.1:$PORTKEY_PORT"; HOP="http://127.0.0.1:$HOP_PORT"; EDGE="http://127.0.0.1:$EDGE_PORT"
STARTED_AT=$(date +%s)

if [ "$MODE" = smoke ]; then
  WARMUP=1; MEASURE=2; SATURATION=(2); PACED=(2); MANY_WALLETS=2; TTFT_LOOPS=2; STREAMS=20; SLOW_RUN=0; JIT_WARMUP=1
else
  WARMUP=3; MEASURE=10; SATURATION=(16 64); PACED=(20 50); MANY_WALLETS=16; TTFT_LOOPS=20; STREAMS="${BENCH_STREAMS:-10000}"; SLOW_RUN=1; JIT_WARMUP=30
fi
CREDIT=1000

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

sim_pid=""; hop_pid=""; apphost_pid=""; portkey_pid=""; infra_started=""
# The processes the AppHost started (DCP, dashboard, services): they inherit this run's admin token, unique per run.
stack_pids() {
  local f pid
  [ -n "${NEXRELAY_ADMIN_TOKEN:-}" ] || return 0
  for f in $(grep -lsz "^NEXRELAY_ADMIN_TOKEN=$NEXRELAY_ADMIN_TOKEN\$" /proc/[0-9]*/environ 2>/dev/null); do
    pid="${f#/proc/}"; pid="${pid%/environ}"
    [ "$pid" != "$$" ] && tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline" | grep -qE 'net10\.0/NexRelay\.|NexRelay\.[A-Za-z]+\.csproj|/dcp |Aspire\.Dashboard' && echo "$pid"
  done
  return 0
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$apphost_pid" ] && kill -0 "$apphost_pid" 2>/dev/null; then
    kill -INT "$apphost_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$apphost_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$apphost_pid" 2>/dev/null || true
  fi
  # DCP can take ~40 s to stop the services of a stopped AppHost: a run started right after would find its ports taken.
  local stray
  for _ in $(seq 1 25); do stray="$(stack_pids)"; [ -z "$stray" ] && break; sleep 0.2; done
  if [ -n "$stray" ]; then
    kill -TERM $stray 2>/dev/null || true
    for _ in $(seq 1 50); do stray="$(stack_pids)"; [ -z "$stray" ] && break; sleep 0.2; done
    [ -z "$stray" ] || kill -KILL $stray 2>/dev/null || true
  fi
  for pid in "$portkey_pid" "$hop_pid" "$sim_pid"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  [ -n "$infra_started" ] && "$ROOT/scripts/infra.sh" stop bench || true
  exit "$rc"
}
trap cleanup EXIT INT TERM

wait_http() { # url seconds pid
  for _ in $(seq 1 $(($2 * 5))); do
    [ -n "${3:-}" ] && ! kill -0 "$3" 2>/dev/null && return 1
    curl -s -o /dev/null -m 2 "$1" && return 0
    sleep 0.2
  done
  return 1
}

# ---- tools --------------------------------------------------------------------------------------------------------
command -v wrk >/dev/null || { log "installing wrk"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
  || { apt-get update -qq >/dev/null; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }; }
command -v node >/dev/null || die "Node.js (20+) is required"
PORTKEY_START="$WORK/portkey/node_modules/@portkey-ai/gateway/build/start-server.js"
if [ ! -f "$PORTKEY_START" ]; then
  log "installing @portkey-ai/gateway@1.15.2 into $WORK/portkey"
  mkdir -p "$WORK/portkey"; [ -f "$WORK/portkey/package.json" ] || echo '{"name":"bench-portkey","private":true}' > "$WORK/portkey/package.json"
  (cd "$WORK/portkey" && timeout 300 npm install --no-audit --no-fund --loglevel=error @portkey-ai/gateway@1.15.2 >/dev/null 2>&1) \
    || { [ "$MODE" = smoke ] && log "npm unreachable: smoke runs without the peer" || die "could not install the peer gateway"; }
fi
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  log "building (Release)…"
  (cd "$ROOT" && dotnet build NexRelay.AppHost -c Release -v quiet -nologo >"$OUT/build.log" 2>&1 \
    && dotnet build bench/hop -c Release -v quiet -nologo >>"$OUT/build.log" 2>&1) || { tail -n 30 "$OUT/build.log" >&2; die "build failed"; }
fi

# ---- servers ------------------------------------------------------------------------------------------------------
infra_started=1
# The bench profile: its own ports and data (.nexrelay/bench, emptied first), never ./run.sh's or ./test.sh's servers.
"$ROOT/scripts/infra.sh" stop bench >/dev/null 2>&1 || true
rm -rf "$ROOT/.nexrelay/bench"
# The edge's event spool and journal outlive it (the AppHost keeps them per port across restarts): one left by an
# earlier, interrupted run would be replayed into these fresh servers, settling requests they never saw.
rm -rf "$ROOT/.nexrelay/spool/edge-$EDGE_PORT"
"$ROOT/scripts/infra.sh" start bench
set -a; . "$ROOT/.nexrelay/bench/env"; set +a

log "starting the simulated provider on $SIM"
Logging__LogLevel__Default=Warning DOTNET_ENVIRONMENT=Production \
  dotnet "$ROOT/services/NexRelay.SimulatedProvider/bin/Release/net10.0/NexRelay.SimulatedProvider.dll" --urls "$SIM" >"$OUT/sim.log" 2>&1 &
sim_pid=$!

log "starting the bare hop on $HOP"
dotnet "$BENCH/hop/bin/Release/net10.0/NexRelay.Bench.Hop.dll" --urls "$HOP" --upstream "$SIM/v1/chat/completions" >"$OUT/hop.log" 2>&1 &
hop_pid=$!

if [ -f "$PORTKEY_START" ]; then
  log "starting the peer gateway on $PORTKEY"
  node --import "$BENCH/js/bind-local.mjs" "$PORTKEY_START" --port="$PORTKEY_PORT" --headless >"$OUT/portkey.log" 2>&1 &
  portkey_pid=$!
fi

log "starting NexRelay (edge on $EDGE)"
export NEXRELAY_ADMIN_TOKEN="nra_bench_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export NEXRELAY_KEY_HASH_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export NEXRELAY_EDGE_PORT="$EDGE_PORT"
# The bench's models: gpt-5.4 on the shared simulated provider, the same at 50 ms first-byte latency, and a slow token
# rate for the open-streams test. All upstreams are the one simulated-provider process the floor and the peer also use.
catalog=(
  "NexRelay:Catalog:Providers:simulated-openai:BaseUrl=$SIM/v1/"
  "NexRelay:Catalog:Providers:bench-50ms:Kind=openai" "NexRelay:Catalog:Providers:bench-50ms:ApiKey=sim"
  "NexRelay:Catalog:Providers:bench-50ms:BaseUrl=$SIM/knobs/first-byte-delay-ms=50/v1/"
  "NexRelay:Catalog:Providers:bench-slow:Kind=openai" "NexRelay:Catalog:Providers:bench-slow:ApiKey=sim"
  "NexRelay:Catalog:Providers:bench-slow:BaseUrl=$SIM/knobs/token-delay-ms=20000/v1/"
)
# Traces are sampled as a busy deployment samples them (exporting every span to the dashboard costs more CPU than the
# relay itself); metrics and logs stay complete. BENCH_TRACE_SAMPLE_RATIO=1 measures with every trace.
export BENCH_TRACE_SAMPLE_RATIO="${BENCH_TRACE_SAMPLE_RATIO:-0.01}"
catalog+=("NexRelay:Telemetry:TraceSampleRatio=$BENCH_TRACE_SAMPLE_RATIO")
# The console is a client of the edge, not on the request path: it is left out so its idle CPU is not in the figures.
catalog+=("NexRelay:Console:Enabled=false")
for model in bench-50ms bench-slow; do
  catalog+=("NexRelay:Catalog:Models:$model:ContextWindow=400000" "NexRelay:Catalog:Models:$model:MaxOutputTokens=128000"
    "NexRelay:Catalog:Models:$model:OwnedBy=openai" "NexRelay:Catalog:Models:$model:Prices:Input=2.5"
    "NexRelay:Catalog:Models:$model:Prices:CachedInput=0.25" "NexRelay:Catalog:Models:$model:Prices:Output=15"
    "NexRelay:Catalog:Models:$model:Upstreams:0:Provider=$model" "NexRelay:Catalog:Models:$model:Upstreams:0:Model=gpt-5.4")
done
(
  export DOTNET_ENVIRONMENT=Development ASPNETCORE_ENVIRONMENT=Development
  export ASPNETCORE_URLS="http://127.0.0.1:$((PORT_BASE + 90))"
  export ASPIRE_ALLOW_UNSECURED_TRANSPORT=true ASPIRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS=true
  export ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL="http://127.0.0.1:$((PORT_BASE + 91))"
  export ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL="http://127.0.0.1:$((PORT_BASE + 92))"
  exec "$ROOT/NexRelay.AppHost/bin/Release/net10.0/NexRelay.AppHost" "${catalog[@]}"
) >"$OUT/apphost.log" 2>&1 &
apphost_pid=$!

wait_http "$SIM/health" 60 "$sim_pid" || { tail -n 20 "$OUT/sim.log" >&2; die "the simulated provider did not start"; }
wait_http "$HOP/" 60 "$hop_pid" || { tail -n 20 "$OUT/hop.log" >&2; die "the bare hop did not start"; }
if [ -n "$portkey_pid" ]; then wait_http "$PORTKEY/" 60 "$portkey_pid" || { tail -n 20 "$OUT/portkey.log" >&2; die "the peer gateway did not start"; }; fi
for _ in $(seq 1 600); do
  kill -0 "$apphost_pid" 2>/dev/null || { tail -n 40 "$OUT/apphost.log" >&2; die "the AppHost exited"; }
  curl -fsS -m 2 -o /dev/null "$EDGE/health" 2>/dev/null && break
  sleep 0.2
done
curl -fsS -m 2 -o /dev/null "$EDGE/health" || { tail -n 40 "$OUT/apphost.log" >&2; die "the edge did not become healthy"; }
EDGE_PID="$(ss -ltnpH "sport = :$EDGE_PORT" | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2)"
EDGE_RSS_START="$(awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$EDGE_PID/status")"
log "stack up in $(( $(date +%s) - STARTED_AT )) s (edge pid $EDGE_PID, ${EDGE_RSS_START} MB)"

# Whole-stack CPU per request (issue 20), read from /proc around each measured window (bench/js/cpu.mjs): every process of
# NexRelay and its servers by group; the simulated provider (the AppHost's and the bench's), wrk and the peer excluded.
# DCP, the AppHost and the dashboard count without their children (the services are DCP's children, counted apiece).
CPU_GROUPS=("edge=$EDGE_PID" "postgres=port:$NEXRELAY_PG_PORT" "redis=port:$NEXRELAY_REDIS_PORT" "rabbitmq=port:$NEXRELAY_RABBITMQ_PORT")
telemetry=""
for pid in $(stack_pids); do
  cmd="$(tr '\0' ' ' 2>/dev/null < "/proc/$pid/cmdline")" || continue
  case "$cmd" in
    *NexRelay.Billing*) CPU_GROUPS+=("billing=$pid") ;;
    *NexRelay.KeyPolicy*) CPU_GROUPS+=("keypolicy=$pid") ;;
    *NexRelay.Logging*) CPU_GROUPS+=("logging=$pid") ;;
    *NexRelay.Edge*|*NexRelay.SimulatedProvider*) ;;
    *) telemetry="$telemetry${telemetry:+,}self:$pid" ;;
  esac
done
CPU_GROUPS+=("dashboard+dcp=$telemetry")
HOP_CPU_GROUPS=("hop=$hop_pid")

# ---- load ---------------------------------------------------------------------------------------------------------
printf '%s' '{"model":"gpt-5.4","messages":[{"role":"user","content":"Say hello in one short line"}],"max_tokens":16}' > "$OUT/openai.json"
printf '%s' '{"model":"bench-50ms","messages":[{"role":"user","content":"Say hello in one short line"}],"max_tokens":16}' > "$OUT/openai-50ms.json"
printf '%s' '{"model":"gpt-5.4","max_tokens":16,"messages":[{"role":"user","content":"Say hello in one short line"}]}' > "$OUT/anthropic.json"

if [ "$MODE" = serve ]; then
  # Written before the wait so a script can source it; Ctrl+C (or kill) stops everything started here.
  sw="$(node "$BENCH/js/admin.mjs" setup "$EDGE" "$NEXRELAY_ADMIN_TOKEN" 1 "$CREDIT" serve)"
  { echo "EDGE=$EDGE"; echo "SIM=$SIM"; echo "PORTKEY=$PORTKEY"; echo "HOP=$HOP"; echo "EDGE_PID=$EDGE_PID"; echo "ADMIN_TOKEN=$NEXRELAY_ADMIN_TOKEN"
    echo "KEY=$(node -e 'console.log(JSON.parse(process.argv[1]).wallets[0].key)' "$sw")"
    echo "BODY=$OUT/openai.json"; } > "$OUT/serve.env"
  log "serving; settings in $OUT/serve.env, e.g.:"
  log "  set -a; . $OUT/serve.env; set +a; BENCH_BODY_FILE=\$BODY BENCH_KEYS=\$KEY wrk -t1 -c16 -d30s -s $BENCH/lua/load.lua \$EDGE/api/v1/chat/completions"
  wait "$apphost_pid" || true
  exit 0
fi

# wrk_run <seconds> <connections> <paced 0|1> <url> <body> <headers> <keys> <key header> → the BENCH_RESULT json
wrk_run() {
  local out
  out="$(BENCH_BODY_FILE="$5" BENCH_HEADERS="$6" BENCH_KEYS="$7" BENCH_KEY_HEADER="$8" BENCH_PACED="$3" \
    wrk -t1 -c"$2" -d"$1s" --timeout 10s --latency -s "$BENCH/lua/load.lua" "$4" 2>&1)" || true
  grep -o '^BENCH_RESULT .*' <<<"$out" | cut -d' ' -f2- || echo '{"requests":0,"socket_errors":1,"non2xx":0,"timeouts":0,"error":"wrk failed"}'
}

new_wallets() { # count label → wallets json
  node "$BENCH/js/admin.mjs" setup "$EDGE" "$NEXRELAY_ADMIN_TOKEN" "$1" "$CREDIT" "$2"
}

# measure <section> <path> <shape> <connections> <paced> <url> <body> <headers> [<wallets json> <key header>]
measure() {
  local section=$1 path=$2 shape=$3 conns=$4 paced=$5 url=$6 body=$7 headers=$8 wallets=${9:-} keyheader=${10:-bearer}
  local keys="" ids="" warm meas books=null
  if [ -n "$wallets" ]; then
    keys="$(node -e 'console.log(JSON.parse(process.argv[1]).wallets.map(w=>w.key).join(","))' "$wallets")"
    ids="$(node -e 'console.log(JSON.parse(process.argv[1]).wallets.map(w=>w.id).join(","))' "$wallets")"
  fi
  log "$section: $path $shape (c=$conns, ${WARMUP}s warm-up + ${MEASURE}s)"
  warm="$(wrk_run "$WARMUP" "$conns" "$paced" "$url" "$body" "$headers" "$keys" "$keyheader")"
  local groups=() cpu0=null cpu1=null
  case "$path" in nexrelay*) groups=("${CPU_GROUPS[@]}") ;; hop) groups=("${HOP_CPU_GROUPS[@]}") ;; esac
  [ ${#groups[@]} -gt 0 ] && cpu0="$(node "$BENCH/js/cpu.mjs" "${groups[@]}")"
  meas="$(wrk_run "$MEASURE" "$conns" "$paced" "$url" "$body" "$headers" "$keys" "$keyheader")"
  [ ${#groups[@]} -gt 0 ] && cpu1="$(node "$BENCH/js/cpu.mjs" "${groups[@]}")"
  if [ -n "$ids" ]; then
    local sent; sent="$(node -e 'const a=JSON.parse(process.argv[1]),b=JSON.parse(process.argv[2]);console.log(a.requests+b.requests)' "$warm" "$meas")"
    # wrk stops with up to one request per connection in flight, twice (warm-up and measured window): the edge logs those too.
    books="$(node "$BENCH/js/admin.mjs" books "$EDGE" "$NEXRELAY_ADMIN_TOKEN" "$ids" "$CREDIT" "$sent" $((sent + 2 * conns)) || true)"
    [ -n "$books" ] || books='{"ok":false,"problems":["the books check did not answer"]}'
  fi
  printf '{"section":"%s","path":"%s","shape":"%s","conns":%d,"paced":%d,"wrk":%s,"warm":%s,"books":%s,"cpu0":%s,"cpu1":%s}\n' \
    "$section" "$path" "$shape" "$conns" "$paced" "$meas" "$warm" "$books" "$cpu0" "$cpu1" >> "$RESULTS"
}

DIRECT_H="Authorization: Bearer sim"
peer_h() { echo "x-portkey-provider: openai|x-portkey-custom-host: $1|Authorization: Bearer sim"; }

run_paths() { # section body-direct-url nexrelay-body direct-url portkey-custom-host nexrelay-model-body
  local section=$1 direct_url=$2 host=$3 nr_body=$4 c
  for c in "${SATURATION[@]}"; do
    [ "$section" = main ] || continue
    measure "$section" direct "saturation $c" "$c" 0 "$direct_url" "$OUT/openai.json" "$DIRECT_H"
    measure "$section" nexrelay "saturation $c" "$c" 0 "$EDGE/api/v1/chat/completions" "$nr_body" "" "$(new_wallets 1 "sat$c")"
    [ -n "$portkey_pid" ] && measure "$section" peer "saturation $c" "$c" 0 "$PORTKEY/v1/chat/completions" "$OUT/openai.json" "$(peer_h "$host")"
  done
  for c in "${PACED[@]}"; do
    measure "$section" direct "paced $c" "$c" 1 "$direct_url" "$OUT/openai.json" "$DIRECT_H"
    measure "$section" nexrelay "paced $c" "$c" 1 "$EDGE/api/v1/chat/completions" "$nr_body" "" "$(new_wallets 1 "paced$c")"
    [ "$section" = main ] && measure "$section" hop "paced $c" "$c" 1 "$HOP/v1/chat/completions" "$OUT/openai.json" ""
    [ -n "$portkey_pid" ] && measure "$section" peer "paced $c" "$c" 1 "$PORTKEY/v1/chat/completions" "$OUT/openai.json" "$(peer_h "$host")"
  done
  return 0
}

# Every process starts cold (JIT, connection pools, caches): one discarded round of load per path first, so the first
# measured row is not the only one that pays for it. 30 s per path, because .NET's tiered JIT keeps recompiling hot
# methods in the background for ~40 s of load on two busy cores (a profile at 15 s still showed a fifth of the edge's CPU
# in the JIT), and the edge gets two of these rounds (OpenAI and Claude formats).
log "warming every path (${JIT_WARMUP}s each, discarded)"
warm_wallet="$(new_wallets 1 warm)"
warm_key="$(node -e 'console.log(JSON.parse(process.argv[1]).wallets[0].key)' "$warm_wallet")"
wrk_run "$JIT_WARMUP" 16 0 "$SIM/v1/chat/completions" "$OUT/openai.json" "$DIRECT_H" "" bearer >/dev/null
wrk_run "$JIT_WARMUP" 16 0 "$HOP/v1/chat/completions" "$OUT/openai.json" "" "" bearer >/dev/null
wrk_run "$JIT_WARMUP" 16 0 "$EDGE/api/v1/chat/completions" "$OUT/openai.json" "" "$warm_key" bearer >/dev/null
wrk_run "$JIT_WARMUP" 16 0 "$EDGE/v1/messages" "$OUT/anthropic.json" "anthropic-version: 2023-06-01" "$warm_key" x-api-key >/dev/null
[ -n "$portkey_pid" ] && wrk_run "$JIT_WARMUP" 16 0 "$PORTKEY/v1/chat/completions" "$OUT/openai.json" "$(peer_h "$SIM/v1")" "" bearer >/dev/null

run_paths main "$SIM/v1/chat/completions" "$SIM/v1" "$OUT/openai.json"

# Cross-format: a Claude-format request (POST /v1/messages, x-api-key) to the OpenAI upstream.
measure cross nexrelay-anthropic "saturation ${SATURATION[0]}" "${SATURATION[0]}" 0 "$EDGE/v1/messages" "$OUT/anthropic.json" \
  "anthropic-version: 2023-06-01" "$(new_wallets 1 cross-sat)" x-api-key
measure cross nexrelay-anthropic "paced ${PACED[0]}" "${PACED[0]}" 1 "$EDGE/v1/messages" "$OUT/anthropic.json" \
  "anthropic-version: 2023-06-01" "$(new_wallets 1 cross-paced)" x-api-key

# Many wallets: the same saturation load spread round-robin over keys of different wallets (vs. the hot single wallet above).
measure wallets nexrelay-many "saturation ${SATURATION[0]}" "${SATURATION[0]}" 0 "$EDGE/api/v1/chat/completions" "$OUT/openai.json" "" \
  "$(new_wallets "$MANY_WALLETS" many)"

# Streaming time to first token, direct, through the bare hop and through NexRelay interleaved in one paced window.
ttft_wallet="$(new_wallets 1 ttft)"
ttft_key="$(node -e 'console.log(JSON.parse(process.argv[1]).wallets[0].key)' "$ttft_wallet")"
ttft_id="$(node -e 'console.log(JSON.parse(process.argv[1]).wallets[0].id)' "$ttft_wallet")"
cat > "$OUT/ttft.json" <<JSON
{"seconds":$MEASURE,"warmup":$WARMUP,"loops":$TTFT_LOOPS,"targets":[
 {"name":"direct","url":"$SIM/v1/chat/completions","headers":{"Authorization":"Bearer sim"},
  "body":{"model":"gpt-5.4","stream":true,"max_tokens":16,"messages":[{"role":"user","content":"Say hello in one short line"}]}},
 {"name":"hop","url":"$HOP/v1/chat/completions","headers":{},
  "body":{"model":"gpt-5.4","stream":true,"max_tokens":16,"messages":[{"role":"user","content":"Say hello in one short line"}]}},
 {"name":"nexrelay","url":"$EDGE/api/v1/chat/completions","headers":{"Authorization":"Bearer $ttft_key"},
  "body":{"model":"gpt-5.4","stream":true,"max_tokens":16,"messages":[{"role":"user","content":"Say hello in one short line"}]}}]}
JSON
log "streaming: time to first token, $TTFT_LOOPS paced loops per path"
ttft="$(node "$BENCH/js/ttft.mjs" "$OUT/ttft.json")"
ttft_sent="$(node -e 'console.log(JSON.parse(process.argv[1]).nexrelay.requests)' "$ttft")"
books="$(node "$BENCH/js/admin.mjs" books "$EDGE" "$NEXRELAY_ADMIN_TOKEN" "$ttft_id" "$CREDIT" "$ttft_sent" "$ttft_sent" || true)"
printf '{"section":"ttft","ttft":%s,"books":%s,"loops":%d}\n' "$ttft" "$books" "$TTFT_LOOPS" >> "$RESULTS"

if [ "$SLOW_RUN" = 1 ]; then
  run_paths slow50 "$SIM/knobs/first-byte-delay-ms=50/v1/chat/completions" "$SIM/knobs/first-byte-delay-ms=50/v1" "$OUT/openai-50ms.json"
fi


if [ "$STREAMS" -gt 0 ]; then
  # Last, on a warmed-up edge (opened cold, most hold calls time out: 503 billing_unavailable). Idle first: the edge's
  # memory after all the runs above, once its GC has had a quiet moment, and what the runtime says the heap holds.
  sleep 5
  EDGE_RSS_IDLE="$(awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$EDGE_PID/status")"
  # RssAnon is the process's own memory (heaps, JIT code, stacks); RssFile the mapped files (the runtime and assemblies).
  rss_split="$(awk '/RssAnon/ {a=$2} /RssFile/ {f=$2} END {printf "{\"anon_mb\":%d,\"file_mb\":%d}", a/1024, f/1024}' "/proc/$EDGE_PID/status")"
  gc_idle="$(curl -fsS -m 5 "$EDGE/metrics" 2>/dev/null | node "$BENCH/js/gc.mjs" "$rss_split" || echo null)"
  # Each open stream holds two sockets in the edge (its client's and, over HTTP/1.1, its upstream's): the descriptor limit
  # bounds how many one edge process can hold. Where the hard limit cannot be raised (this container: 20,000), the run
  # opens what fits, leaving room for the load beside, and the report says so.
  streams_wanted=$STREAMS; edge_fds="$(awk '/Max open files/ {print $4}' "/proc/$EDGE_PID/limits")"
  if [ "$STREAMS" -gt $(( (edge_fds - 2000) / 2 )) ]; then STREAMS=$(( (edge_fds - 2000) / 2 )); log "the edge may open $edge_fds files: $STREAMS streams, not $streams_wanted"; fi
  log "memory: $STREAMS concurrent open streams (idle edge ${EDGE_RSS_IDLE} MB)"
  sw="$(new_wallets 10 streams)"
  skeys="$(node -e 'console.log(JSON.parse(process.argv[1]).wallets.map(w=>w.key).join(","))' "$sw")"
  sids="$(node -e 'console.log(JSON.parse(process.argv[1]).wallets.map(w=>w.id).join(","))' "$sw")"
  # Opened at ~250/s over 10 wallets; each stream lasts ~320 s (16 tokens, 20 s apart), so all are open at the sample,
  # and stay open while the paced load of the main table's last paced row runs beside them.
  rate=250; ready="$OUT/streams.ready"; done_file="$OUT/streams.done"; rm -f "$ready" "$done_file"
  node "$BENCH/js/streams.mjs" "$EDGE/api/v1/chat/completions" "$skeys" "$STREAMS" bench-slow "$EDGE_PID" \
    $((STREAMS / rate + 60)) "$rate" "$ready" "$done_file" > "$OUT/streams.json" &
  streams_pid=$!
  while [ ! -f "$ready" ] && kill -0 "$streams_pid" 2>/dev/null; do sleep 1; done
  if [ -f "$ready" ]; then
    beside="${PACED[${#PACED[@]}-1]}"
    measure beside nexrelay "paced $beside" "$beside" 1 "$EDGE/api/v1/chat/completions" "$OUT/openai.json" "" "$(new_wallets 1 beside)"
  fi
  touch "$done_file"; wait "$streams_pid" || true
  streams="$(cat "$OUT/streams.json")"; [ -n "$streams" ] || streams='{"opened":0,"failed":0,"rss_before_mb":0,"rss_open_mb":0}'
  books="$(node "$BENCH/js/admin.mjs" books "$EDGE" "$NEXRELAY_ADMIN_TOKEN" "$sids" "$CREDIT" "$STREAMS" "$STREAMS" || true)"
  [ -n "$books" ] || books='{"ok":false,"problems":["the books check did not answer"]}'
  printf '{"section":"streams","count":%d,"wanted":%d,"edge_fd_limit":%d,"rss_start_mb":%d,"rss_idle_mb":%d,"gc_idle":%s,"streams":%s,"books":%s}\n' \
    "$STREAMS" "$streams_wanted" "$edge_fds" "$EDGE_RSS_START" "$EDGE_RSS_IDLE" "$gc_idle" "$streams" "$books" >> "$RESULTS"
fi

# The edge's events over the whole run: every request's RequestCompleted should have been confirmed by RabbitMQ directly.
# Spooled events (RabbitMQ did not confirm in time) settle late, by replay: the report names them.
events="$(curl -fsS -m 5 "$EDGE/metrics" 2>/dev/null | awk '
  /^nexrelay_edge_events_published_total.*path="direct"/ {d+=$NF} /^nexrelay_edge_events_published_total.*path="replay"/ {r+=$NF}
  /^nexrelay_edge_events_spooled_total/ {s+=$NF} /^nexrelay_edge_events_publish_failures_total/ {f+=$NF} /^nexrelay_edge_events_spool_pending/ {p+=$NF}
  END {printf "{\"section\":\"events\",\"direct\":%d,\"replayed\":%d,\"spooled\":%d,\"publish_failures\":%d,\"pending\":%d}", d, r, s, f, p}')"
[ -n "$events" ] && echo "$events" >> "$RESULTS"

# ---- report -------------------------------------------------------------------------------------------------------
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo)"
report_rc=0
node "$BENCH/js/report.mjs" "$RESULTS" "$MODE" "$machine" "$WARMUP" "$MEASURE" > "$OUT/report.md" || report_rc=$?
cat "$OUT/report.md"
if [ "$MODE" = full ]; then mkdir -p "$BENCH/results"; cp "$OUT/report.md" "$BENCH/results/latest.md"; fi
log "done in $(( $(date +%s) - STARTED_AT )) s"
if [ "$MODE" = smoke ]; then
  [ "$report_rc" = 0 ] || { echo "bench smoke: FAILED (see $OUT)"; exit 1; }
  echo "bench smoke: ok"
fi
exit "$report_rc"
