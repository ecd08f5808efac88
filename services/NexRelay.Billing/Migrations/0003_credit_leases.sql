-- Credit leases (DESIGN.md): an edge replica reserves a slice of a wallet and of a key's budget bucket once, holds per
-- request in memory against it, and each request's settlement captures from the lease's reserve.
-- Same rules as 0002: lock order lease row -> key_budgets row -> wallets row; every change to a wallet's balance or
-- reserved is one ledger entry (lease entries carry the lease id as reference; hold/release ones also as request_id).
CREATE TABLE leases (
    lease_id          text PRIMARY KEY,
    wallet_id         uuid NOT NULL REFERENCES wallets (id),
    key_id            uuid NOT NULL,
    budget_period_key text NOT NULL,
    budget_limit      bigint,
    granted           bigint NOT NULL CHECK (granted > 0),
    -- The reserve's ceiling: granted while open, what the edge spent once closed, captured once expired. The lease's
    -- part of the wallet's (and the bucket's) reserved is held - captured.
    held              bigint NOT NULL,
    -- What settlements took out of the reserve. A cost beyond the reserve (late) comes from the balance, not counted here.
    captured          bigint NOT NULL DEFAULT 0,
    state             text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'expired')),
    -- No new holds against the lease after this; its requests may still run up to the hold timeout.
    reserve_until     timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    CONSTRAINT lease_amounts CHECK (0 <= captured AND captured <= held AND held <= granted),
    CONSTRAINT lease_open_holds_its_grant CHECK (state <> 'open' OR held = granted),
    CONSTRAINT lease_expired_holds_nothing CHECK (state <> 'expired' OR held = captured)
);
CREATE INDEX leases_open_by_reserve_until ON leases (reserve_until) WHERE state = 'open';
CREATE INDEX leases_closed_unsettled ON leases (closed_at) WHERE state = 'closed' AND held > captured;

-- Grants g = least(target, available / divisor, budget room / divisor) when g >= minimum, reserving g in the key's bucket
-- and the wallet (one 'hold' entry); otherwise refuses and writes nothing. Idempotent by lease id: a retry returns the
-- lease it already has. An unknown wallet raises foreign_key_violation (23503) from the lease insert.
-- o_available: after a grant the wallet's available balance; after a refusal the wallet's available or the budget's room.
CREATE FUNCTION open_lease(p_lease_id text, p_wallet uuid, p_key uuid, p_target bigint, p_minimum bigint, p_divisor int,
    p_period_key text, p_budget bigint, p_reserve_until timestamptz,
    OUT o_granted boolean, OUT o_shortfall text, OUT o_amount bigint, OUT o_available bigint, OUT o_period_key text,
    OUT o_reserve_until timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    v_spent bigint;
    v_bucket_reserved bigint;
    v_bucket_created boolean := false;
    v_balance bigint;
    v_reserved bigint;
    v_wallet_share bigint;
    v_budget_share bigint;
BEGIN
    o_amount := 0;
    o_available := 0;
    o_period_key := p_period_key;
    o_reserve_until := p_reserve_until;
    -- Idempotency first, as in place_hold: a concurrent duplicate waits here for the first to commit or delete its row.
    INSERT INTO leases (lease_id, wallet_id, key_id, budget_period_key, budget_limit, granted, held, reserve_until)
    VALUES (p_lease_id, p_wallet, p_key, p_period_key, p_budget, p_target, p_target, p_reserve_until)
    ON CONFLICT (lease_id) DO NOTHING;
    IF NOT FOUND THEN
        SELECT l.granted, l.budget_period_key, l.reserve_until INTO o_amount, o_period_key, o_reserve_until
        FROM leases l WHERE l.lease_id = p_lease_id;
        SELECT w.balance - w.reserved INTO o_available FROM wallets w JOIN leases l ON l.wallet_id = w.id
        WHERE l.lease_id = p_lease_id;
        o_granted := true;
        RETURN;
    END IF;

    -- The grant depends on the bucket and the wallet, so both are locked (in the usual order) before they are read.
    SELECT b.spent, b.reserved INTO v_spent, v_bucket_reserved
    FROM key_budgets b WHERE b.key_id = p_key AND b.period_key = p_period_key FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        INSERT INTO key_budgets (key_id, period_key) VALUES (p_key, p_period_key) ON CONFLICT DO NOTHING;
        v_bucket_created := FOUND;
        SELECT b.spent, b.reserved INTO v_spent, v_bucket_reserved
        FROM key_budgets b WHERE b.key_id = p_key AND b.period_key = p_period_key FOR NO KEY UPDATE;
    END IF;
    SELECT w.balance, w.reserved INTO v_balance, v_reserved FROM wallets w WHERE w.id = p_wallet FOR NO KEY UPDATE;

    v_wallet_share := (v_balance - v_reserved) / p_divisor;
    IF p_budget IS NOT NULL THEN
        v_budget_share := greatest(p_budget - v_spent - v_bucket_reserved, 0) / p_divisor;
    END IF;
    o_amount := least(p_target, v_wallet_share, v_budget_share); -- least() ignores a null budget share

    IF o_amount < p_minimum THEN
        DELETE FROM leases WHERE lease_id = p_lease_id;
        IF v_bucket_created THEN
            DELETE FROM key_budgets WHERE key_id = p_key AND period_key = p_period_key;
        END IF;
        o_granted := false;
        o_amount := 0;
        -- The budget is checked first for holds too, so it names the shortfall when it binds at least as tightly.
        IF v_budget_share IS NOT NULL AND v_budget_share <= v_wallet_share THEN
            o_shortfall := 'budget';
            o_available := greatest(p_budget - v_spent - v_bucket_reserved, 0);
        ELSE
            o_shortfall := 'wallet';
            o_available := v_balance - v_reserved;
        END IF;
        RETURN;
    END IF;

    UPDATE leases SET granted = o_amount, held = o_amount WHERE lease_id = p_lease_id;
    UPDATE key_budgets SET reserved = reserved + o_amount WHERE key_id = p_key AND period_key = p_period_key;
    UPDATE wallets SET reserved = reserved + o_amount WHERE id = p_wallet RETURNING balance, reserved INTO v_balance, v_reserved;
    INSERT INTO ledger_entries (wallet_id, kind, request_id, reference, amount, balance_delta, reserved_delta,
        balance_after, reserved_after, note)
    VALUES (p_wallet, 'hold', p_lease_id, p_lease_id, o_amount, 0, o_amount, v_balance, v_reserved, 'credit lease');
    o_granted := true;
    o_available := v_balance - v_reserved;
END $$;

-- Settles one request held in memory against a lease, exactly once per request id: the processed_messages key is the same
-- as settle_hold's, so neither path can settle a request the other already settled.
-- o_outcome: settled (all from the lease's reserve), late (part of the cost lay beyond the reserve: the lease had expired
-- or the edge spent more than it reserved), duplicate, unknown (no such lease).
-- From the reserve: c1 = least(cost, held - captured) moves from reserved to captured (wallet balance and reserved -c1,
-- bucket reserved -> spent). Beyond it, like settle_hold's late path: only as far as the wallet's available balance and
-- the key's budget room allow (never below zero, never over budget); the rest is written off, flagged 'uncollected'.
-- One 'capture' entry per request (none for a request that cost nothing).
CREATE FUNCTION settle_leased(p_request_id text, p_lease_id text, p_cost bigint,
    OUT o_outcome text, OUT o_wallet uuid, OUT o_captured bigint, OUT o_from_lease bigint, OUT o_uncollected bigint,
    OUT o_clamped boolean)
LANGUAGE plpgsql AS $$
DECLARE
    l leases%ROWTYPE;
    v_cost bigint;
    v_rest bigint;
    v_late bigint := 0;
    v_budget_room bigint;
    v_available bigint;
    v_balance bigint;
    v_reserved bigint;
    v_flags text[] := '{}';
BEGIN
    o_captured := 0;
    o_from_lease := 0;
    o_uncollected := 0;
    o_clamped := p_cost < 0;
    v_cost := greatest(p_cost, 0);

    INSERT INTO processed_messages (message_id) VALUES ('settle:' || p_request_id) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        o_outcome := 'duplicate';
        RETURN;
    END IF;

    SELECT * INTO l FROM leases WHERE lease_id = p_lease_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        o_outcome := 'unknown';
        RETURN;
    END IF;
    o_wallet := l.wallet_id;
    o_from_lease := least(v_cost, l.held - l.captured);
    v_rest := v_cost - o_from_lease;

    IF v_rest > 0 THEN
        -- Moving c1 from reserved to spent/balance changes neither the budget's room nor the wallet's available balance,
        -- so both can be read before it is applied.
        SELECT CASE WHEN l.budget_limit IS NULL THEN v_rest ELSE greatest(l.budget_limit - b.spent - b.reserved, 0) END
        INTO v_budget_room
        FROM key_budgets b WHERE b.key_id = l.key_id AND b.period_key = l.budget_period_key FOR NO KEY UPDATE;
        SELECT w.balance - w.reserved INTO v_available FROM wallets w WHERE w.id = l.wallet_id FOR NO KEY UPDATE;
        v_late := least(v_rest, v_available, coalesce(v_budget_room, v_rest));
        o_uncollected := v_rest - v_late;
        v_flags := array_append(v_flags, 'late');
        IF o_uncollected > 0 THEN v_flags := array_append(v_flags, 'uncollected'); END IF;
    END IF;
    o_captured := o_from_lease + v_late;

    IF o_from_lease > 0 THEN
        UPDATE leases SET captured = captured + o_from_lease WHERE lease_id = p_lease_id;
    END IF;
    IF o_captured > 0 THEN
        UPDATE key_budgets SET spent = spent + o_captured, reserved = reserved - o_from_lease
        WHERE key_id = l.key_id AND period_key = l.budget_period_key;
        UPDATE wallets SET balance = balance - o_captured, reserved = reserved - o_from_lease
        WHERE id = l.wallet_id
        RETURNING balance, reserved INTO v_balance, v_reserved;
    ELSIF v_rest > 0 THEN
        SELECT w.balance, w.reserved INTO v_balance, v_reserved FROM wallets w WHERE w.id = l.wallet_id;
    END IF;

    -- Recorded when anything was taken, and (like settle_hold's late path) when a cost went uncollected.
    IF o_captured > 0 OR v_rest > 0 THEN
        INSERT INTO ledger_entries (wallet_id, kind, request_id, reference, amount, balance_delta, reserved_delta,
            balance_after, reserved_after, flags, note)
        VALUES (l.wallet_id, 'capture', p_request_id, p_lease_id, o_captured, -o_captured, -o_from_lease,
            v_balance, v_reserved, v_flags,
            CASE WHEN v_rest > 0 THEN format(
                'cost %s beyond the %s lease''s reserve: %s from the reserve, %s collected late, uncollected %s',
                v_cost, l.state, o_from_lease, v_late, o_uncollected) END);
    END IF;
    o_outcome := CASE WHEN v_rest > 0 THEN 'late' ELSE 'settled' END;
END $$;

-- The edge stops using the lease; p_spent is the sum of its requests' final costs. Keeps reserved what is spent but not
-- yet settled (held = least(granted, greatest(spent, captured))) and releases the rest now. Idempotent: a lease that is
-- no longer open reports its state and releases nothing. o_state: closed, expired, or unknown.
CREATE FUNCTION close_lease(p_lease_id text, p_spent bigint,
    OUT o_state text, OUT o_granted bigint, OUT o_captured bigint, OUT o_released bigint)
LANGUAGE plpgsql AS $$
DECLARE
    l leases%ROWTYPE;
    v_held bigint;
    v_balance bigint;
    v_reserved bigint;
BEGIN
    o_granted := 0;
    o_captured := 0;
    o_released := 0;
    SELECT * INTO l FROM leases WHERE lease_id = p_lease_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        o_state := 'unknown';
        RETURN;
    END IF;
    o_state := l.state;
    o_granted := l.granted;
    o_captured := l.captured;
    IF l.state <> 'open' THEN
        RETURN;
    END IF;

    v_held := least(l.granted, greatest(p_spent, l.captured));
    o_released := l.held - v_held;
    UPDATE leases SET held = v_held, state = 'closed', closed_at = now() WHERE lease_id = p_lease_id;
    IF o_released > 0 THEN
        UPDATE key_budgets SET reserved = reserved - o_released WHERE key_id = l.key_id AND period_key = l.budget_period_key;
        UPDATE wallets SET reserved = reserved - o_released WHERE id = l.wallet_id RETURNING balance, reserved INTO v_balance, v_reserved;
        INSERT INTO ledger_entries (wallet_id, kind, request_id, reference, amount, balance_delta, reserved_delta,
            balance_after, reserved_after, note)
        VALUES (l.wallet_id, 'release', p_lease_id, p_lease_id, o_released, 0, -o_released, v_balance, v_reserved,
            format('credit lease closed: spent %s of %s, captured so far %s', p_spent, l.granted, l.captured));
    END IF;
    o_state := 'closed';
END $$;

-- Releases an orphaned lease's outstanding reserve (held - captured): an open lease whose edge died (reserve window plus
-- the hold timeout passed, so none of its requests can still be running), or a closed one whose settlements never came.
-- The condition is checked again under the lease's lock, so a lease closed meanwhile is left alone. Settlements arriving
-- afterwards take settle_leased's late path. Called per lease, each in its own short transaction.
CREATE FUNCTION expire_lease(p_lease_id text, p_timeout_seconds int) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    l leases%ROWTYPE;
    v_release bigint;
    v_balance bigint;
    v_reserved bigint;
BEGIN
    SELECT * INTO l FROM leases WHERE lease_id = p_lease_id FOR NO KEY UPDATE;
    IF NOT FOUND OR NOT (
        (l.state = 'open' AND l.reserve_until < now() - make_interval(secs => p_timeout_seconds))
        OR (l.state = 'closed' AND l.held > l.captured AND l.closed_at < now() - make_interval(secs => p_timeout_seconds))) THEN
        RETURN false;
    END IF;

    v_release := l.held - l.captured;
    UPDATE leases SET held = captured, state = 'expired', closed_at = coalesce(closed_at, now()) WHERE lease_id = p_lease_id;
    IF v_release > 0 THEN
        UPDATE key_budgets SET reserved = reserved - v_release WHERE key_id = l.key_id AND period_key = l.budget_period_key;
        UPDATE wallets SET reserved = reserved - v_release WHERE id = l.wallet_id RETURNING balance, reserved INTO v_balance, v_reserved;
        INSERT INTO ledger_entries (wallet_id, kind, request_id, reference, amount, balance_delta, reserved_delta,
            balance_after, reserved_after, flags, note)
        VALUES (l.wallet_id, 'release', p_lease_id, p_lease_id, v_release, 0, -v_release, v_balance, v_reserved, '{expired}',
            format('credit lease expired (%s): %s of %s unsettled', l.state, v_release, l.held));
    END IF;
    RETURN true;
END $$;

-- Settles a batch of requests in one transaction (one round trip): item i is (p_request_ids[i], p_lease_ids[i] or null for
-- a per-request hold, p_costs[i]), settled by settle_leased or settle_hold in array order; one row per item (o_index).
-- Every row the batch will write is locked first, class by class in the usual order (holds, leases, buckets, wallets) and
-- sorted within each class, so concurrent batches and the single-row functions never wait on each other in a cycle.
-- The caller passes items sorted (wallet, key, request id), which orders the processed_messages inserts of overlapping batches.
CREATE FUNCTION settle_requests(p_request_ids text[], p_lease_ids text[], p_costs bigint[])
RETURNS TABLE (o_index int, o_outcome text, o_wallet uuid, o_held bigint, o_captured bigint, o_released bigint, o_clamped boolean)
LANGUAGE plpgsql AS $$
DECLARE
    i int;
BEGIN
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

    FOR i IN 1 .. coalesce(array_length(p_request_ids, 1), 0) LOOP
        o_index := i;
        IF p_lease_ids[i] IS NULL THEN
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
