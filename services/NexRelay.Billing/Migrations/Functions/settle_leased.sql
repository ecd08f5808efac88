-- Settles one request held in memory against a lease, exactly once per request id: the processed_messages key is the same
-- as settle_hold's, so neither path can settle a request the other already settled.
-- o_outcome: settled (all from the lease's reserve), late (part of the cost lay beyond the reserve: the lease had expired
-- or the edge spent more than it reserved), duplicate, unknown (no such lease).
-- From the reserve: c1 = least(cost, held - captured) moves from reserved to captured (wallet balance and reserved -c1,
-- bucket reserved -> spent). Beyond it, through capture_late, like settle_hold's late path: only as far as the wallet's available balance and
-- the key's budget room allow (never below zero, never over budget); the rest is written off, flagged 'uncollected'.
-- One 'capture' entry per request (none for a request that cost nothing).
CREATE OR REPLACE FUNCTION settle_leased(p_request_id text, p_lease_id text, p_cost bigint,
    OUT o_outcome text, OUT o_wallet uuid, OUT o_captured bigint, OUT o_from_lease bigint, OUT o_uncollected bigint,
    OUT o_clamped boolean)
LANGUAGE plpgsql AS $$
DECLARE
    l leases%ROWTYPE;
    v_cost bigint;
    v_rest bigint;
    v_late bigint := 0;
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
        -- so both can be read before it is applied. A cost beyond the reserve is never clamped (only a negative one is).
        SELECT c.o_collected, c.o_flags INTO v_late, v_flags
        FROM capture_late(l.wallet_id, l.key_id, l.budget_period_key, l.budget_limit, v_rest, false) c;
        o_uncollected := v_rest - v_late;
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
