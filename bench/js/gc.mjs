// What the .NET runtime says a service's managed heap holds, from its Prometheus scrape on stdin (GET /metrics):
//   curl -s $EDGE/metrics | node gc.mjs [<json to merge>]   →   {"heap_mb", "committed_mb", …}
// Beside the process's RSS this splits "memory the GC keeps for live objects" from "memory it has committed" and from
// everything else (native, JIT code, thread stacks): where an idle edge's memory lives (issue 20).
import { readFileSync } from 'node:fs';

const text = readFileSync(0, 'utf8');
// Sums every series of the first metric name found (the runtime's own meter names, then the older instrumentation's).
function sum(...names) {
  for (const name of names) {
    const values = [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.eE+-]+)`, 'gm'))].map((m) => Number(m[1]));
    if (values.length) return values.reduce((a, b) => a + b, 0);
  }
  return null;
}
const mb = (bytes) => (bytes === null ? null : Math.round(bytes / 1048576));
console.log(JSON.stringify({
  ...JSON.parse(process.argv[2] ?? '{}'),
  heap_mb: mb(sum('dotnet_gc_last_collection_heap_size_bytes', 'process_runtime_dotnet_gc_heap_size_bytes')),
  committed_mb: mb(sum('dotnet_gc_last_collection_memory_committed_size_bytes', 'process_runtime_dotnet_gc_committed_memory_size_bytes')),
}));
