-- Reserves p_amount against the key's budget bucket and the wallet's available balance, or neither.
-- Refusal writes nothing (the compensating statements undo this transaction's own changes while it still holds the locks),
-- except a budget's first refusal in its period, noted on the bucket for the owner's notification.
-- An unknown wallet raises foreign_key_violation (23503) from the holds insert. A request already settled is refused
-- with shortfall 'settled', writing nothing.
CREATE OR REPLACE FUNCTION place_hold(p_request_id text, p_wallet uuid, p_key uuid, p_amount bigint, p_period_key text, p_budget bigint,
    OUT o_granted boolean, OUT o_shortfall text, OUT o_needed bigint, OUT o_available bigint, OUT o_period_key text)
LANGUAGE plpgsql AS $$
DECLARE
    v_balance bigint;
    v_reserved bigint;
BEGIN
    o_needed := p_amount;
    o_available := 0;
    -- One request at a time with its settlement (hold_lock_key.sql): a request already settled gets no hold now. That is a
    -- late attempt of a request the edge gave up on (billing answered too slowly) and settled at zero; no one awaits it.
    PERFORM pg_advisory_xact_lock(hold_lock_key(p_request_id));
    IF EXISTS (SELECT 1 FROM processed_messages WHERE message_id = 'settle:' || p_request_id) THEN
        o_granted := false;
        o_shortfall := 'settled';
        RETURN;
    END IF;
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
    -- The bucket also remembers its wallet and limit for budget notifications (0013); a changed limit forgets a refusal.
    INSERT INTO key_budgets AS b (key_id, period_key, reserved, wallet_id, budget_limit)
    SELECT p_key, p_period_key, p_amount, p_wallet, p_budget WHERE p_budget IS NULL OR p_amount <= p_budget
    ON CONFLICT (key_id, period_key) DO UPDATE SET reserved = b.reserved + EXCLUDED.reserved, wallet_id = EXCLUDED.wallet_id,
        budget_limit = EXCLUDED.budget_limit,
        refused_at = CASE WHEN b.budget_limit IS DISTINCT FROM EXCLUDED.budget_limit THEN NULL ELSE b.refused_at END
        WHERE p_budget IS NULL OR b.spent + b.reserved + EXCLUDED.reserved <= p_budget;
    IF NOT FOUND THEN
        DELETE FROM holds WHERE request_id = p_request_id;
        -- The one write a refusal makes, and only when it tells the bucket something new: a limit it did not know (the key's
        -- policy changed), or the first refusal in the period of a request that what is already spent leaves no room for (the
        -- owner is then told the budget is used up). Not a refusal for reservations alone (a lease or requests in flight hold
        -- room that may come back), nor one of a request larger than the whole budget. Later refusals write nothing.
        UPDATE key_budgets SET wallet_id = p_wallet, budget_limit = p_budget,
            refused_at = CASE WHEN budget_limit IS DISTINCT FROM p_budget OR refused_at IS NULL
                THEN CASE WHEN p_amount <= p_budget AND spent + p_amount > p_budget THEN now() END
                ELSE refused_at END
        WHERE key_id = p_key AND period_key = p_period_key
            AND (budget_limit IS DISTINCT FROM p_budget OR (refused_at IS NULL AND p_amount <= p_budget AND spent + p_amount > p_budget));
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
