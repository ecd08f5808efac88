-- Settles one request exactly once: the processed_messages insert and the hold's state transition are conditional and
-- in this one transaction, so redeliveries (sequential or concurrent) do nothing.
-- o_outcome: settled (captured and/or released), late (hold had expired), duplicate, unknown (no such hold).
--
-- Normal: capture = min(cost, held) (clamped flag when cost exceeded the hold), release = held - capture; the bucket's
-- reserved moves to spent.
-- Late (the hold expired as an orphan, so its reserve was already released): the cost, clamped to the hold, is captured
-- from the wallet's balance only as far as the wallet's available balance and the key's remaining budget allow, so the
-- wallet never goes below zero and the key never over its budget. Any remainder is not collected: it is written in the
-- capture entry's note and flags ('late', 'uncollected'). The capture is recorded even when it is zero.
-- The late path collects through capture_late.
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

    -- A place_hold of this request still running is waited for, so its hold is settled, not missed (hold_lock_key.sql).
    PERFORM pg_advisory_xact_lock(hold_lock_key(p_request_id));
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
