-- Settles a batch of requests in one transaction (one round trip): item i is (p_request_ids[i], p_lease_ids[i] or null for
-- a per-request hold, p_costs[i]), settled by settle_leased or settle_hold in array order; one row per item (o_index).
-- Every row the batch will write is locked first, class by class in the usual order (holds, leases, buckets, wallets) and
-- sorted within each class, so concurrent batches and the single-row functions never wait on each other in a cycle.
-- The caller passes items sorted (wallet, key, request id), which orders the processed_messages inserts of overlapping batches.
--
-- The common case is one statement: every request whose cost fits in what its lease still holds is captured at once,
-- with one update per lease, bucket and wallet and one ledger entry per request (one at a time, a batch of 100 requests
-- on one lease wrote the lease, bucket and wallet 100 times each, and PostgreSQL spent most of its settlement time
-- walking the dead row versions). Everything else (own holds, costs beyond the lease, unknown leases, duplicates) goes
-- through settle_hold and settle_leased, after the bulk part.
--
-- Two overloads: the four-argument form (what billing calls) also flags the captures of estimated requests (p_estimated,
-- see flag_estimated_capture); the three-argument form stays for a billing replica of the previous version during a
-- rolling upgrade.
CREATE OR REPLACE FUNCTION settle_requests(p_request_ids text[], p_lease_ids text[], p_costs bigint[])
RETURNS TABLE (o_index int, o_outcome text, o_wallet uuid, o_held bigint, o_captured bigint, o_released bigint, o_clamped boolean)
LANGUAGE plpgsql AS $$
DECLARE
    i int;
    n int := coalesce(array_length(p_request_ids, 1), 0);
    v_wallet uuid[];
    v_cost bigint[];
    v_clamped boolean[];
    v_key bigint;
BEGIN
    -- First the per-request holds' advisory locks (hold_lock_key.sql), in key order and before any row lock, as place_hold
    -- takes its own before its rows: a hold still being placed is waited for and settled, and no cycle can form.
    FOR v_key IN
        SELECT DISTINCT hold_lock_key(t.request_id) FROM unnest(p_request_ids, p_lease_ids) AS t(request_id, lease_id)
        WHERE t.lease_id IS NULL AND t.request_id IS NOT NULL ORDER BY 1
    LOOP
        PERFORM pg_advisory_xact_lock(v_key);
    END LOOP;
    PERFORM 1 FROM holds h
    WHERE h.request_id = ANY (p_request_ids) AND h.state IN ('held', 'expired')
    ORDER BY h.request_id FOR NO KEY UPDATE;
    PERFORM 1 FROM leases l WHERE l.lease_id = ANY (p_lease_ids) ORDER BY l.lease_id FOR NO KEY UPDATE;
    PERFORM 1 FROM key_budgets b
    WHERE (b.key_id, b.period_key) IN (
        SELECT h.key_id, h.budget_period_key FROM holds h WHERE h.request_id = ANY (p_request_ids) AND h.state IN ('held', 'expired')
        UNION ALL
        SELECT l.key_id, l.budget_period_key FROM leases l WHERE l.lease_id = ANY (p_lease_ids))
    ORDER BY b.key_id, b.period_key FOR NO KEY UPDATE;
    PERFORM 1 FROM wallets w
    WHERE w.id IN (
        SELECT h.wallet_id FROM holds h WHERE h.request_id = ANY (p_request_ids) AND h.state IN ('held', 'expired')
        UNION ALL
        SELECT l.wallet_id FROM leases l WHERE l.lease_id = ANY (p_lease_ids))
    ORDER BY w.id FOR NO KEY UPDATE;

    -- The bulk part. Candidates: leased requests not settled yet, the first of a request id repeated in the batch. A
    -- lease's candidates fit while the running sum of their costs (in batch order) stays within held - captured, which
    -- is a prefix of them since costs are not negative; the first that does not fit and all after it take the
    -- one-at-a-time path (part from the lease, the rest late). Capturing from a reserve leaves the wallet's available
    -- balance unchanged, so settling these first changes nothing for the others. `claimed` is the exactly-once guard:
    -- a request id another transaction recorded meanwhile is left out of every update.
    WITH input AS (
        SELECT t.idx::int AS idx, t.request_id, t.lease_id, greatest(t.cost, 0) AS cost, t.cost < 0 AS clamped
        FROM unnest(p_request_ids, p_lease_ids, p_costs) WITH ORDINALITY AS t(request_id, lease_id, cost, idx)
        WHERE t.lease_id IS NOT NULL AND t.request_id IS NOT NULL
    ), candidates AS (
        SELECT DISTINCT ON (i.request_id) i.*
        FROM input i
        WHERE NOT EXISTS (SELECT 1 FROM processed_messages m WHERE m.message_id = 'settle:' || i.request_id)
        ORDER BY i.request_id, i.idx
    ), fitting AS (
        SELECT c.idx, c.request_id, c.lease_id, c.cost, c.clamped, l.wallet_id, l.key_id, l.budget_period_key
        FROM (SELECT c.*, sum(c.cost) OVER (PARTITION BY c.lease_id ORDER BY c.idx) AS running FROM candidates c) c
        JOIN leases l ON l.lease_id = c.lease_id
        WHERE c.running <= l.held - l.captured
    ), claimed AS (
        INSERT INTO processed_messages (message_id)
        SELECT 'settle:' || f.request_id FROM fitting f
        ON CONFLICT DO NOTHING
        RETURNING message_id
    ), done AS (
        SELECT f.* FROM fitting f JOIN claimed c ON c.message_id = 'settle:' || f.request_id
    ), lease_update AS (
        UPDATE leases l SET captured = l.captured + s.total
        FROM (SELECT d.lease_id, sum(d.cost) AS total FROM done d GROUP BY d.lease_id) s
        WHERE l.lease_id = s.lease_id AND s.total > 0
        RETURNING 1
    ), budget_update AS (
        UPDATE key_budgets b SET spent = b.spent + s.total, reserved = b.reserved - s.total
        FROM (SELECT d.key_id, d.budget_period_key, sum(d.cost) AS total FROM done d GROUP BY d.key_id, d.budget_period_key) s
        WHERE b.key_id = s.key_id AND b.period_key = s.budget_period_key AND s.total > 0
        RETURNING 1
    ), wallet_update AS (
        UPDATE wallets w SET balance = w.balance - s.total, reserved = w.reserved - s.total
        FROM (SELECT d.wallet_id, sum(d.cost) AS total FROM done d GROUP BY d.wallet_id) s
        WHERE w.id = s.wallet_id AND s.total > 0
        RETURNING 1
    ), ledger AS (
        -- The wallet as this statement found it minus the running total: each entry's figures right after it, in id order.
        INSERT INTO ledger_entries (wallet_id, kind, request_id, reference, amount, balance_delta, reserved_delta,
            balance_after, reserved_after)
        SELECT d.wallet_id, 'capture', d.request_id, d.lease_id, d.cost, -d.cost, -d.cost,
            w.balance - sum(d.cost) OVER running, w.reserved - sum(d.cost) OVER running
        FROM done d JOIN wallets w ON w.id = d.wallet_id
        WHERE d.cost > 0
        WINDOW running AS (PARTITION BY d.wallet_id ORDER BY d.idx)
        ORDER BY d.wallet_id, d.idx
        RETURNING 1
    )
    -- One slot per item, NULL where the item was not settled here. The data-modifying parts run to completion whether
    -- read or not.
    SELECT array_agg(d.wallet_id ORDER BY g.i), array_agg(d.cost ORDER BY g.i), array_agg(d.clamped ORDER BY g.i)
    INTO v_wallet, v_cost, v_clamped
    FROM generate_series(1, n) AS g(i) LEFT JOIN done d ON d.idx = g.i;

    FOR i IN 1 .. n LOOP
        o_index := i;
        IF v_cost[i] IS NOT NULL THEN
            o_outcome := 'settled';
            o_wallet := v_wallet[i];
            o_held := NULL;
            o_captured := v_cost[i];
            o_released := 0;
            o_clamped := v_clamped[i];
        ELSIF p_lease_ids[i] IS NULL THEN
            SELECT s.o_outcome, s.o_wallet, s.o_held, s.o_captured, s.o_released, s.o_clamped
            INTO o_outcome, o_wallet, o_held, o_captured, o_released, o_clamped
            FROM settle_hold(p_request_ids[i], p_costs[i]) s;
        ELSE
            SELECT s.o_outcome, s.o_wallet, NULL::bigint, s.o_captured, 0::bigint, s.o_clamped
            INTO o_outcome, o_wallet, o_held, o_captured, o_released, o_clamped
            FROM settle_leased(p_request_ids[i], p_lease_ids[i], p_costs[i]) s;
        END IF;
        RETURN NEXT;
    END LOOP;
END $$;

-- The batch's estimated request ids go to a transaction-local setting that flag_estimated_capture reads.
CREATE OR REPLACE FUNCTION settle_requests(p_request_ids text[], p_lease_ids text[], p_costs bigint[], p_estimated boolean[])
RETURNS TABLE (o_index int, o_outcome text, o_wallet uuid, o_held bigint, o_captured bigint, o_released bigint, o_clamped boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_estimated text[];
BEGIN
    SELECT coalesce(array_agg(t.request_id), '{}') INTO v_estimated
    FROM unnest(p_request_ids, p_estimated) AS t(request_id, estimated)
    WHERE t.estimated;
    PERFORM set_config('nexrelay.estimated_requests', CASE WHEN cardinality(v_estimated) = 0 THEN '' ELSE v_estimated::text END, true);
    RETURN QUERY SELECT * FROM settle_requests(p_request_ids, p_lease_ids, p_costs);
    PERFORM set_config('nexrelay.estimated_requests', '', true);
END $$;
