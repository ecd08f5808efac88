-- The edge stops using the lease; p_spent is the sum of its requests' final costs. Keeps reserved what is spent but not
-- yet settled (held = least(granted, greatest(spent, captured))) and releases the rest now. Idempotent: a lease that is
-- no longer open reports its state and releases nothing. o_state: closed, expired, or unknown.
CREATE OR REPLACE FUNCTION close_lease(p_lease_id text, p_spent bigint,
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
