-- Grants g = least(target, available / divisor, budget room / divisor) when g >= minimum, reserving g in the key's bucket
-- and the wallet (one 'hold' entry); otherwise refuses and writes nothing. Idempotent by lease id: a retry returns the
-- lease it already has. An unknown wallet raises foreign_key_violation (23503) from the lease insert.
-- o_available: after a grant the wallet's available balance; after a refusal the wallet's available or the budget's room.
CREATE OR REPLACE FUNCTION open_lease(p_lease_id text, p_wallet uuid, p_key uuid, p_target bigint, p_minimum bigint, p_divisor int,
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
    -- As in place_hold, the bucket remembers its wallet and limit for budget notifications; a changed limit forgets a refusal.
    UPDATE key_budgets SET reserved = reserved + o_amount, wallet_id = p_wallet, budget_limit = p_budget,
        refused_at = CASE WHEN budget_limit IS DISTINCT FROM p_budget THEN NULL ELSE refused_at END
    WHERE key_id = p_key AND period_key = p_period_key;
    UPDATE wallets SET reserved = reserved + o_amount WHERE id = p_wallet RETURNING balance, reserved INTO v_balance, v_reserved;
    INSERT INTO ledger_entries (wallet_id, kind, request_id, reference, amount, balance_delta, reserved_delta,
        balance_after, reserved_after, note)
    VALUES (p_wallet, 'hold', p_lease_id, p_lease_id, o_amount, 0, o_amount, v_balance, v_reserved, 'credit lease');
    o_granted := true;
    o_available := v_balance - v_reserved;
END $$;
