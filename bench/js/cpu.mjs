// CPU time of groups of processes, read from /proc: for the whole-stack CPU per request (issue 20).
//   node cpu.mjs <group>=<root>[,<root>…] …
// A root is a pid, `port:<n>` (the process listening on that TCP port) or `self:<pid>` (that process without its
// descendants: DCP and the AppHost are the parents of the services, which are counted in groups of their own).
// Prints {"<group>": <CPU ms>, …}: user + system time of each root and every live descendant, plus what their reaped
// children used (cutime/cstime), so PostgreSQL's backends, RabbitMQ's Erlang helpers and the like count with their server.
// Call it before and after a window; the difference over the requests served is the CPU per request.
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

// pid → { ppid, ticks } for every process now alive. /proc/<pid>/stat's second field (the name) may hold spaces and
// parentheses, so the fields are counted from the last ')'.
const table = new Map();
for (const name of readdirSync('/proc')) {
  if (!/^\d+$/.test(name)) continue;
  let stat;
  try { stat = readFileSync(`/proc/${name}/stat`, 'utf8'); } catch { continue; }
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14).
  table.set(Number(name), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) });
}
const children = new Map();
for (const [pid, p] of table) (children.get(p.ppid) ?? children.set(p.ppid, []).get(p.ppid)).push(pid);

function listening(port) {
  const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  return [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
}

const result = {};
for (const arg of process.argv.slice(2)) {
  const [group, roots] = arg.split('=');
  const seen = new Set();
  const stack = [];
  for (const root of (roots ?? '').split(',').filter(Boolean)) {
    if (root.startsWith('self:')) { if (table.has(Number(root.slice(5)))) seen.add(Number(root.slice(5))); continue; }
    stack.push(...(root.startsWith('port:') ? listening(root.slice(5)) : [Number(root)]));
  }
  while (stack.length) {
    const pid = stack.pop();
    if (seen.has(pid) || !table.has(pid)) continue;
    seen.add(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  result[group] = Math.round([...seen].reduce((sum, pid) => sum + table.get(pid).ticks, 0) * TICK_MS);
}
console.log(JSON.stringify(result));
