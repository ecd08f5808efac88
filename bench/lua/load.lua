-- wrk script for every bench load. Settings come from the environment (wrk passes no arguments to setup):
--   BENCH_BODY_FILE  the POST body            BENCH_HEADERS  extra headers, "Name: value" joined by "|"
--   BENCH_KEYS       API keys joined by ","; each request takes the next one (round-robin over wallets)
--   BENCH_KEY_HEADER "bearer" (Authorization: Bearer …) or a header name such as x-api-key
--   BENCH_PACED      "1": each connection thinks a random 0–200 ms before each request (open-ish paced load)
-- done() prints one line "BENCH_RESULT {json}" that bench/run.sh parses.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

local body, keys, key_header, paced, next_key, fixed
local non2xx, statuses = 0, {}

function init(args)
  body = read_file(os.getenv("BENCH_BODY_FILE"))
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  for pair in string.gmatch(os.getenv("BENCH_HEADERS") or "", "[^|]+") do
    local name, value = string.match(pair, "^%s*([^:]+):%s*(.*)$")
    if name then wrk.headers[name] = value end
  end
  keys = {}
  for key in string.gmatch(os.getenv("BENCH_KEYS") or "", "[^,]+") do table.insert(keys, key) end
  key_header = os.getenv("BENCH_KEY_HEADER") or "bearer"
  paced = os.getenv("BENCH_PACED") == "1"
  next_key = 0
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  if #keys <= 1 then
    if #keys == 1 then
      if key_header == "bearer" then wrk.headers["Authorization"] = "Bearer " .. keys[1] else wrk.headers[key_header] = keys[1] end
    end
    fixed = wrk.format()
  end
end

function request()
  if fixed then return fixed end
  next_key = next_key % #keys + 1
  local headers = {}
  if key_header == "bearer" then headers["Authorization"] = "Bearer " .. keys[next_key] else headers[key_header] = keys[next_key] end
  return wrk.format(nil, nil, headers)
end

function delay()
  if paced then return math.random(0, 200) end
  return 0
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end


function done(summary, latency, requests)
  local n2, st = 0, "{}"
  local t = threads[1]
  if t then n2 = t:get("non2xx") or 0 end
  -- Status table: rebuild from the thread's global.
  if t then
    local s = t:get("statuses")
    if s then
      local parts = {}
      for status, n in pairs(s) do table.insert(parts, string.format('"%d":%d', status, n)) end
      st = "{" .. table.concat(parts, ",") .. "}"
    end
  end
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"seconds":%.3f,"rps":%.1f,"non2xx":%d,"socket_errors":%d,"timeouts":%d,"statuses":%s,' ..
    '"p50_ms":%.3f,"p99_ms":%.3f,"p999_ms":%.3f,"mean_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, seconds, summary.requests / seconds, n2, e.connect + e.read + e.write, e.timeout, st,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000,
    latency.mean / 1000, latency.max / 1000))
end
