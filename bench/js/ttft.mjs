// Streaming time to first token, paced, several targets interleaved in the same window so machine noise hits them alike.
//   node ttft.mjs <config.json>   config: {"seconds","warmup","loops","targets":[{"name","url","headers","body"}]}
// Each target gets `loops` client loops; a loop thinks a random 0–200 ms, sends one streaming request and times from
// writing the request to the first SSE chunk that carries output text, then reads the stream to its end.
// Prints {"<name>":{"requests","errors","p50_ms","p99_ms","p999_ms"}}.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const contentPattern = /"(content|text)":"[^"]/;

function once(target, agent) {
  return new Promise((resolve) => {
    const url = new URL(target.url);
    const body = JSON.stringify(target.body);
    const started = performance.now();
    let first = null;
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...target.headers } }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk) => { if (first === null && contentPattern.test(chunk)) first = performance.now() - started; });
      res.on('end', () => resolve({ status: res.statusCode, ttft: first }));
      res.on('error', () => resolve({ status: 0, ttft: null }));
    });
    req.on('error', () => resolve({ status: 0, ttft: null }));
    req.end(body);
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const results = Object.fromEntries(config.targets.map((t) => [t.name, { samples: [], requests: 0, errors: 0 }]));
const startedAt = performance.now();
const measureFrom = startedAt + config.warmup * 1000;
const stopAt = measureFrom + config.seconds * 1000;

async function loop(target, agent) {
  while (performance.now() < stopAt) {
    await sleep(Math.random() * 200);
    if (performance.now() >= stopAt) break;
    const t0 = performance.now();
    const r = await once(target, agent);
    const bucket = results[target.name];
    bucket.requests++;   // every request sent, warm-up included: the books count them all
    if (t0 < measureFrom) continue;
    if (r.status < 200 || r.status > 299 || r.ttft === null) bucket.errors++;
    else bucket.samples.push(r.ttft);
  }
}

await Promise.all(config.targets.flatMap((t) => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: config.loops });
  return Array.from({ length: config.loops }, () => loop(t, agent));
}));

const out = {};
for (const [name, b] of Object.entries(results)) {
  const s = b.samples.sort((x, y) => x - y);
  out[name] = { requests: b.requests, measured: s.length, errors: b.errors, p50_ms: percentile(s, 50), p99_ms: percentile(s, 99), p999_ms: percentile(s, 99.9) };
}
console.log(JSON.stringify(out));
