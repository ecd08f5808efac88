-- How much of p_amount, a cost whose reserve is gone, can still be taken from the wallet's balance: only as far as the
-- wallet's available balance and the key's remaining budget allow, so the wallet never goes below zero and the key never
-- over its budget. Locks the bucket, then the wallet (the usual order); writes nothing, the caller applies o_collected.
-- o_flags for the capture entry: late, clamped (when p_clamped), uncollected (when o_collected < p_amount).
CREATE OR REPLACE FUNCTION capture_late(p_wallet uuid, p_key uuid, p_period_key text, p_budget bigint, p_amount bigint,
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
