-- A closed lease's uncaptured rest is an orphan once it was neither closed nor renewed within the timeout.
CREATE OR REPLACE FUNCTION expire_lease(p_lease_id text, p_timeout_seconds int) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    l leases%ROWTYPE;
    v_release bigint;
    v_balance bigint;
    v_reserved bigint;
BEGIN
    SELECT * INTO l FROM leases WHERE lease_id = p_lease_id FOR NO KEY UPDATE;
    IF NOT FOUND OR NOT (
        (l.state = 'open' AND l.reserve_until < now() - make_interval(secs => p_timeout_seconds)
            AND (l.alive_at IS NULL OR l.alive_at < now() - make_interval(secs => p_timeout_seconds)))
        OR (l.state = 'closed' AND l.held > l.captured
            AND greatest(l.closed_at, coalesce(l.alive_at, l.closed_at)) < now() - make_interval(secs => p_timeout_seconds))) THEN
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
