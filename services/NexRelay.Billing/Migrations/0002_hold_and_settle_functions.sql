-- Each money movement is one server-side function, so the service makes one round trip per operation and the hot
-- wallet's row lock is held only for the few microseconds the function runs (never across a network round trip).
-- Lock order everywhere: holds row -> key_budgets row -> wallets row. Same order in every function = no deadlocks.

-- Reserves p_amount against the key's budget bucket and the wallet's available balance, or neither.
-- Refusal writes nothing (the compensating statements undo this transaction's own changes while it still holds the locks).
-- An unknown wallet raises foreign_key_violation (23503) from the holds insert.
CREATE FUNCTION place_hold(p_request_id text, p_wallet uuid, p_key uuid, p_amount bigint, p_period_key text, p_budget bigint,
    OUT o_granted boolean, OUT o_shortfall text, OUT o_needed bigint, OUT o_available bigint, OUT o_period_key text)
LANGUAGE plpgsql AS $$
DECLARE
    v_balance bigint;
    v_reserved bigint;
BEGIN
    o_needed := p_amount;
    o_available := 0;
    -- Idempotency first: a retried request id gets the hold it already has, never a second one. A concurrent duplicate
    -- waits here for the first to commit (or to give up and delete its row).
    INSERT INTO holds (request_id, wallet_id, key_id, amount, budget_period_key, budget_limit)
    VALUES (p_request_id, p_wallet, p_key, p_amount, p_period_key, p_budget)
    ON CONFLICT (request_id) DO NOTHING;
    IF NOT FOUND THEN
        SELECT h.amount, h.budget_period_key INTO o_needed, o_period_key FROM holds h WHERE h.request_id = p_request_id;
        o_granted := true;
        RETURN;
    END IF;

    -- Budget bucket: insert-or-update with the condition inside the statement, so even a brand-new key's concurrent
    -- first requests serialise on the bucket row (a key without a limit still counts, for reporting).
    INSERT INTO key_budgets AS b (key_id, period_key, reserved)
    SELECT p_key, p_period_key, p_amount WHERE p_budget IS NULL OR p_amount <= p_budget
    ON CONFLICT (key_id, period_key) DO UPDATE SET reserved = b.reserved + EXCLUDED.reserved
        WHERE p_budget IS NULL OR b.spent + b.reserved + EXCLUDED.reserved <= p_budget;
    IF NOT FOUND THEN
        DELETE FROM holds WHERE request_id = p_request_id;
        SELECT greatest(p_budget - b.spent - b.reserved, 0) INTO o_available
        FROM key_budgets b WHERE b.key_id = p_key AND b.period_key = p_period_key;
        o_available := coalesce(o_available, greatest(p_budget, 0));
        o_granted := false;
        o_shortfall := 'budget';
        RETURN;
    END IF;

    UPDATE wallets SET reserved = reserved + p_amount
    WHERE id = p_wallet AND balance - reserved >= p_amount
    RETURNING balance, reserved INTO v_balance, v_reserved;
    IF NOT FOUND THEN
        UPDATE key_budgets SET reserved = reserved - p_amount WHERE key_id = p_key AND period_key = p_period_key;
        DELETE FROM holds WHERE request_id = p_request_id;
        SELECT w.balance - w.reserved INTO o_available FROM wallets w WHERE w.id = p_wallet;
        o_granted := false;
        o_shortfall := 'wallet';
        RETURN;
    END IF;

    INSERT INTO ledger_entries (wallet_id, kind, request_id, amount, balance_delta, reserved_delta, balance_after, reserved_after)
    VALUES (p_wallet, 'hold', p_request_id, p_amount, 0, p_amount, v_balance, v_reserved);
    o_granted := true;
    o_available := v_balance - v_reserved;
    o_period_key := p_period_key;
END $$;

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
CREATE FUNCTION settle_hold(p_request_id text, p_cost bigint,
    OUT o_outcome text, OUT o_wallet uuid, OUT o_held bigint, OUT o_captured bigint, OUT o_released bigint, OUT o_clamped boolean)
LANGUAGE plpgsql AS $$
DECLARE
    h holds%ROWTYPE;
    v_cost bigint;
    v_balance bigint;
    v_reserved bigint;
    v_available bigint;
    v_budget_room bigint;
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
    SELECT CASE WHEN h.budget_limit IS NULL THEN v_cost ELSE greatest(h.budget_limit - b.spent - b.reserved, 0) END
    INTO v_budget_room
    FROM key_budgets b WHERE b.key_id = h.key_id AND b.period_key = h.budget_period_key FOR UPDATE;
    SELECT w.balance - w.reserved INTO v_available FROM wallets w WHERE w.id = h.wallet_id FOR UPDATE;
    o_captured := least(v_cost, v_available, coalesce(v_budget_room, v_cost));

    v_flags := array_append(v_flags, 'late');
    IF o_clamped THEN v_flags := array_append(v_flags, 'clamped'); END IF;
    IF o_captured < v_cost THEN v_flags := array_append(v_flags, 'uncollected'); END IF;

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

-- Releases one orphaned hold (its edge never settled it). Called per hold, each in its own short transaction.
CREATE FUNCTION expire_hold(p_request_id text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    h holds%ROWTYPE;
    v_balance bigint;
    v_reserved bigint;
BEGIN
    UPDATE holds SET state = 'expired', finished_at = now()
    WHERE request_id = p_request_id AND state = 'held'
    RETURNING * INTO h;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    UPDATE key_budgets SET reserved = reserved - h.amount WHERE key_id = h.key_id AND period_key = h.budget_period_key;
    UPDATE wallets SET reserved = reserved - h.amount WHERE id = h.wallet_id RETURNING balance, reserved INTO v_balance, v_reserved;
    INSERT INTO ledger_entries (wallet_id, kind, request_id, amount, balance_delta, reserved_delta,
        balance_after, reserved_after, flags, note)
    VALUES (h.wallet_id, 'release', p_request_id, h.amount, 0, -h.amount, v_balance, v_reserved, '{expired}',
        'hold expired unsettled');
    RETURN true;
END $$;

-- Adds a credit once per (wallet, reference). o_status: created, existing (same amount), conflict (different amount), no_wallet.
CREATE FUNCTION add_credit(p_wallet uuid, p_amount bigint, p_reference text, OUT o_status text, OUT o_entry_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_existing_amount bigint;
    v_balance bigint;
    v_reserved bigint;
BEGIN
    -- The wallet lock serialises credits with the same reference, so the existence check below cannot race.
    PERFORM 1 FROM wallets WHERE id = p_wallet FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        o_status := 'no_wallet';
        RETURN;
    END IF;
    SELECT e.id, e.amount INTO o_entry_id, v_existing_amount
    FROM ledger_entries e WHERE e.wallet_id = p_wallet AND e.kind = 'credit' AND e.reference = p_reference;
    IF FOUND THEN
        o_status := CASE WHEN v_existing_amount = p_amount THEN 'existing' ELSE 'conflict' END;
        RETURN;
    END IF;
    UPDATE wallets SET balance = balance + p_amount WHERE id = p_wallet RETURNING balance, reserved INTO v_balance, v_reserved;
    INSERT INTO ledger_entries (wallet_id, kind, reference, amount, balance_delta, reserved_delta, balance_after, reserved_after)
    VALUES (p_wallet, 'credit', p_reference, p_amount, p_amount, 0, v_balance, v_reserved)
    RETURNING id INTO o_entry_id;
    o_status := 'created';
END $$;
