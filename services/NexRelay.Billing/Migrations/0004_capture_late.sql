-- settle_hold (0002) and settle_leased (0003) each carried a copy of the late path. Migrations are applied once by name,
-- so those scripts stay as they were applied; this one adds the shared piece and replaces both functions in place with the
-- same signatures and results (settle_requests calls them by name, so it picks up the new bodies unchanged).

-- How much of p_amount, a cost whose reserve is gone, can still be taken from the wallet's balance: only as far as the
-- wallet's available balance and the key's remaining budget allow, so the wallet never goes below zero and the key never
-- over its budget. Locks the bucket, then the wallet (the usual order); writes nothing, the caller applies o_collected.
-- o_flags for the capture entry: late, clamped (when p_clamped), uncollected (when o_collected < p_amount).
CREATE FUNCTION capture_late(p_wallet uuid, p_key uuid, p_period_key text, p_budget bigint, p_amount bigint,
    p_clamped boolean, OUT o_collected bigint, OUT o_flags text[])
LANGUAGE plpgsql AS $$
DECLARE
    v_budget_room bigint;
    v_available bigint;
BEGIN
    SELECT CASE WHEN p_budget IS NULL THEN p_amount ELSE greatest(p_budget - b.spent - b.reserved, 0) END
    INTO v_budget_room
    FROM key_budgets b WHERE b.key_id = p_key AND b.period_key = p_period_key FOR NO KEY UPDATE;
    SELECT w.balance - w.reserved INTO v_available FROM wallets w WHERE w.id = p_wallet FOR NO KEY UPDATE;
    o_collected := least(p_amount, v_available, coalesce(v_budget_room, p_amount));

    o_flags := '{late}';
    IF p_clamped THEN o_flags := array_append(o_flags, 'clamped'); END IF;
    IF o_collected < p_amount THEN o_flags := array_append(o_flags, 'uncollected'); END IF;
END $$;

-- As in 0002 (see its comment): settles one request exactly once; the late path collects through capture_late.
CREATE OR REPLACE FUNCTION settle_hold(p_request_id text, p_cost bigint,
    OUT o_outcome text, OUT o_wallet uuid, OUT o_held bigint, OUT o_captured bigint, OUT o_released bigint, OUT o_clamped boolean)
LANGUAGE plpgsql AS $$
DECLARE
    h holds%ROWTYPE;
    v_cost bigint;
    v_balance bigint;
    v_reserved bigint;
    v_flags text[] := '{}';
BEGIN
    o_captured := 0;
    o_released := 0;
    o_clamped := p_cost < 0;
    v_cost := greatest(p_cost, 0);

    INSERT INTO processed_messages (message_id) VALUES ('settle:' || p_request_id) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        o_outcome := 'duplicate';
        RETURN;
    END IF;

    UPDATE holds SET state = CASE WHEN least(v_cost, amount) > 0 THEN 'settled' ELSE 'released' END,
        cost = p_cost, captured = least(v_cost, amount), finished_at = now()
    WHERE request_id = p_request_id AND state = 'held'
    RETURNING * INTO h;
    IF FOUND THEN
        o_wallet := h.wallet_id;
        o_held := h.amount;
        o_captured := h.captured;
        o_released := h.amount - h.captured;
        o_clamped := o_clamped OR v_cost > h.amount;
        IF o_clamped THEN v_flags := array_append(v_flags, 'clamped'); END IF;

        UPDATE key_budgets SET reserved = reserved - h.amount, spent = spent + o_captured
        WHERE key_id = h.key_id AND period_key = h.budget_period_key;
        UPDATE wallets SET balance = balance - o_captured, reserved = reserved - h.amount
        WHERE id = h.wallet_id
        RETURNING balance, reserved INTO v_balance, v_reserved;

        IF o_captured > 0 THEN
            INSERT INTO ledger_entries (wallet_id, kind, request_id, amount, balance_delta, reserved_delta,
                balance_after, reserved_after, flags, note)
            VALUES (h.wallet_id, 'capture', p_request_id, o_captured, -o_captured, -o_captured,
                v_balance, v_reserved + o_released, v_flags,
                CASE WHEN o_clamped THEN format('reported cost %s clamped to the hold %s', p_cost, h.amount) END);
        END IF;
        IF o_released > 0 THEN
            INSERT INTO ledger_entries (wallet_id, kind, request_id, amount, balance_delta, reserved_delta,
                balance_after, reserved_after)
            VALUES (h.wallet_id, 'release', p_request_id, o_released, 0, -o_released, v_balance, v_reserved);
        END IF;
        o_outcome := 'settled';
        RETURN;
    END IF;

    SELECT * INTO h FROM holds WHERE request_id = p_request_id AND state = 'expired' FOR UPDATE;
    IF NOT FOUND THEN
        o_outcome := 'unknown';
        RETURN;
    END IF;

    o_wallet := h.wallet_id;
    o_held := h.amount;
    o_clamped := o_clamped OR v_cost > h.amount;
    v_cost := least(v_cost, h.amount);
    -- 0002 locked the bucket and the wallet FOR UPDATE here, the one place that did: that lock also waits for the KEY
    -- SHARE a concurrent insert of a hold, lease or ledger row takes on its wallet, a deadlock waiting to happen.
    -- capture_late locks both FOR NO KEY UPDATE, bucket then wallet, as every other path does.
    SELECT c.o_collected, c.o_flags INTO o_captured, v_flags
    FROM capture_late(h.wallet_id, h.key_id, h.budget_period_key, h.budget_limit, v_cost, o_clamped) c;

    UPDATE holds SET state = 'settled', cost = p_cost, captured = o_captured, finished_at = now()
    WHERE request_id = p_request_id;
    UPDATE key_budgets SET spent = spent + o_captured WHERE key_id = h.key_id AND period_key = h.budget_period_key;
    UPDATE wallets SET balance = balance - o_captured WHERE id = h.wallet_id
    RETURNING balance, reserved INTO v_balance, v_reserved;
    INSERT INTO ledger_entries (wallet_id, kind, request_id, amount, balance_delta, reserved_delta,
        balance_after, reserved_after, flags, note)
    VALUES (h.wallet_id, 'capture', p_request_id, o_captured, -o_captured, 0, v_balance, v_reserved, v_flags,
        format('late capture after the hold expired: cost %s (reported %s), collected %s, uncollected %s',
            v_cost, p_cost, o_captured, v_cost - o_captured));
    o_outcome := 'late';
END $$;

-- As in 0003 (see its comment): settles one request held against a lease; the cost beyond the reserve is collected
-- through capture_late.
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
