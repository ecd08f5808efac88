// Admin calls the bench needs, through the edge's admin API.
//   node admin.mjs setup <edge> <token> <wallets> <credit_usd> <label>  → {"wallets":[{"id","key"}]}
//   node admin.mjs books <edge> <token> <wallet,ids> <credit_usd> <min_rows> <max_rows> → {"ok",…}; exit 1 when the books are off
// The books: for every wallet, debit (credit − balance) = Σ cost_usd of its request logs, nothing left reserved, and
// the number of log rows between what the load generator saw completed and that plus what was still in flight at stop.
const [cmd, edge, token, ...rest] = process.argv.slice(2);
const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };

async function call(method, path, body) {
  const res = await fetch(edge + path, { method, headers: auth, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const micros = (usd) => Math.round(Number(usd) * 1e6);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function setup(count, credit, label) {
  const wallets = [];
  for (let i = 0; i < Number(count); i++) {
    const wallet = await call('POST', '/admin/v1/wallets', { name: `bench ${label} ${i}` });
    await call('POST', `/admin/v1/wallets/${wallet.id}/credits`, { amount_usd: Number(credit), reference: `bench-${label}-${i}-${Date.now()}` });
    const key = await call('POST', '/admin/v1/keys', { wallet_id: wallet.id, name: `bench ${label} ${i}` });
    wallets.push({ id: wallet.id, key: key.key });
  }
  return { wallets };
}

async function snapshot(ids) {
  let debit = 0, cost = 0, rows = 0, reserved = 0;
  for (const id of ids) {
    const w = await call('GET', `/admin/v1/wallets/${id}`);
    const u = await call('GET', `/admin/v1/usage?wallet_id=${encodeURIComponent(id)}`);
    reserved += micros(w.reserved_usd);
    cost += micros(u.totals.cost_usd);
    rows += Number(u.totals.requests);
    debit -= micros(w.balance_usd);
  }
  return { debit, cost, rows, reserved };
}

async function books(idList, credit, minRows, maxRows) {
  const ids = idList.split(',').filter(Boolean);
  const creditMicros = micros(credit) * ids.length;
  const deadline = Date.now() + Number(process.env.BENCH_BOOKS_WAIT_S ?? 60) * 1000;
  let s, last = '', changedAt = Date.now();
  // Settlement and logging are asynchronous (RabbitMQ): poll until the books balance and have stopped moving, or until
  // nothing has moved for 15 s (a hold that is never settled stays reserved until billing's orphan sweep, 15 min later; on a
  // loaded machine the log batches can pause for several seconds, which is not a books problem).
  for (;;) {
    s = await snapshot(ids);
    s.debit += creditMicros;
    const now = `${s.rows}/${s.reserved}/${s.debit}/${s.cost}`;
    if (now !== last) { last = now; changedAt = Date.now(); }
    const settled = s.reserved === 0 && s.rows >= Number(minRows) && s.debit === s.cost;
    if (settled && Date.now() - changedAt >= 1000) break;
    if (Date.now() - changedAt >= 15000 || Date.now() > deadline) break;
    await sleep(250);
  }
  const problems = [];
  if (s.debit !== s.cost) problems.push(`debit ${s.debit / 1e6} ≠ Σcost ${s.cost / 1e6}`);
  if (s.reserved !== 0) problems.push(`${s.reserved / 1e6} USD still reserved`);
  if (s.rows < Number(minRows) || s.rows > Number(maxRows)) problems.push(`log rows ${s.rows} not in [${minRows}, ${maxRows}]`);
  return { ok: problems.length === 0, rows: s.rows, debit_usd: s.debit / 1e6, cost_usd: s.cost / 1e6, reserved_usd: s.reserved / 1e6, problems };
}

try {
  let out;
  if (cmd === 'setup') out = await setup(...rest);
  else if (cmd === 'books') out = await books(...rest);
  else throw new Error(`unknown command ${cmd}`);
  console.log(JSON.stringify(out));
  process.exit(out.ok === false ? 1 : 0);
} catch (e) {
  console.log(JSON.stringify({ ok: false, problems: [String(e.message ?? e)] }));
  process.exit(1);
}
