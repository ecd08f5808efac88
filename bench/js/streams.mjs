// Edge memory with many concurrent open streams.
//   node streams.mjs <url> <key> <count> <model> <edge_pid> <timeout_s>
// Opens <count> streaming requests at once against a slow upstream, waits until each has its first chunk (or the
// timeout), samples the edge's resident memory (VmRSS from /proc) while all are open, then closes them.
// Prints {"opened","failed","rss_before_mb","rss_open_mb"}.
import http from 'node:http';
import { readFileSync } from 'node:fs';

const [url, key, countArg, model, pid, timeoutArg] = process.argv.slice(2);
const count = Number(countArg);
const target = new URL(url);
const body = JSON.stringify({ model, stream: true, max_tokens: 16, messages: [{ role: 'user', content: 'Say hello in one short line' }] });
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const before = rssMb();
const requests = [];
let opened = 0, failed = 0;
const settledAll = Promise.all(Array.from({ length: count }, () => new Promise((resolve) => {
  const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
    headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: `Bearer ${key}` } }, (res) => {
    if (res.statusCode !== 200) { failed++; res.resume(); resolve(); return; }
    res.once('data', () => { opened++; resolve(); });
    res.on('error', () => {});
    res.on('end', resolve);
  });
  req.on('error', () => { failed++; resolve(); });
  requests.push(req);
  req.end(body);
})));
await Promise.race([settledAll, sleep(Number(timeoutArg) * 1000)]);
let peak = 0;
for (let i = 0; i < 10; i++) { peak = Math.max(peak, rssMb()); await sleep(200); }
for (const req of requests) req.destroy();
console.log(JSON.stringify({ opened, failed, rss_before_mb: Math.round(before), rss_open_mb: Math.round(peak) }));
