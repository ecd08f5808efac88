// Edge memory with many concurrent open streams.
//   node streams.mjs <url> <keys,comma> <count> <model> <edge_pid> <timeout_s> <open_per_s> [<ready_file> <done_file>]
// Opens <count> streaming requests against a slow upstream, ramped at <open_per_s> and spread over the keys (so billing's
// per-wallet hold rate is not what is measured), waits until each has its first chunk (or the timeout), samples the edge's
// resident memory (VmRSS from /proc) while they are open, then closes them all. With the two files: once all are open it
// writes <ready_file> and holds the streams (sampling) until <done_file> exists, so the caller can run a load beside them.
// Prints {"opened","open_at_sample","failed","failures","rss_before_mb","rss_open_mb","open_seconds"}.
import http from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const [url, keyList, countArg, model, pid, timeoutArg, rateArg, readyFile, doneFile] = process.argv.slice(2);
const keys = keyList.split(',');
const count = Number(countArg);
const target = new URL(url);
const body = JSON.stringify({ model, stream: true, max_tokens: 16, messages: [{ role: 'user', content: 'Say hello in one short line' }] });
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const before = rssMb();
const started = Date.now();
const requests = [];
const failures = {};
let opened = 0, open = 0, failed = 0;
const fail = (why) => { failed++; failures[why] = (failures[why] ?? 0) + 1; };
const pending = [];
for (let i = 0; i < count; i++) {
  pending.push(new Promise((resolve) => {
    const req = http.request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), Authorization: `Bearer ${keys[i % keys.length]}` } }, (res) => {
      if (res.statusCode !== 200) {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { text += c; });
        res.on('end', () => { fail(`${res.statusCode} ${(/"code":"([^"]+)"/.exec(text) ?? [])[1] ?? ''}`.trim()); resolve(); });
        return;
      }
      res.once('data', () => { opened++; open++; resolve(); });
      res.on('error', () => {});
      res.on('close', () => { open--; });
    });
    req.on('error', (e) => { fail(e.code ?? 'socket error'); resolve(); });
    requests.push(req);
    req.end(body);
  }));
  if ((i + 1) % 10 === 0) await sleep(10_000 / Number(rateArg));
}
await Promise.race([Promise.all(pending), sleep(Number(timeoutArg) * 1000)]);
const openSeconds = (Date.now() - started) / 1000;
let peak = 0, openAtSample = open;
const sample = () => { peak = Math.max(peak, rssMb()); openAtSample = Math.min(openAtSample, open); };
for (let i = 0; i < 10; i++) { sample(); await sleep(200); }
if (readyFile) {
  writeFileSync(readyFile, String(open));
  // Bounded: the caller's load lasts seconds; a caller that died must not leave the streams open forever.
  const until = Date.now() + 300_000;
  while (!existsSync(doneFile) && Date.now() < until) { sample(); await sleep(500); }
}
for (const req of requests) req.destroy();
console.log(JSON.stringify({ opened, open_at_sample: openAtSample, failed, failures, rss_before_mb: Math.round(before), rss_open_mb: Math.round(peak),
  open_seconds: Math.round(openSeconds) }));
