-- A live request keeps its reservation: the edge renews the holds and credit leases of requests still running
-- (POST /internal/reservations/renew), and the orphan sweep releases only what was neither created nor renewed within
-- Billing:HoldTimeoutSeconds. Before this, a stream longer than the hold timeout had its reservation released while it
-- still ran: the key holder could spend the same money again, and the late settlement was partly written off.
ALTER TABLE holds ADD COLUMN alive_at timestamptz;
ALTER TABLE leases ADD COLUMN alive_at timestamptz;

-- Locks in the usual order (holds, then leases, each sorted) so a renewal never deadlocks with a settlement batch.
CREATE FUNCTION renew_reservations(p_hold_ids text[], p_lease_ids text[], OUT o_holds int, OUT o_leases int)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM holds WHERE request_id = ANY (p_hold_ids) AND state = 'held' ORDER BY request_id FOR NO KEY UPDATE;
    UPDATE holds SET alive_at = now() WHERE request_id = ANY (p_hold_ids) AND state = 'held';
    GET DIAGNOSTICS o_holds = ROW_COUNT;
    PERFORM 1 FROM leases WHERE lease_id = ANY (p_lease_ids) AND state = 'open' ORDER BY lease_id FOR NO KEY UPDATE;
    UPDATE leases SET alive_at = now() WHERE lease_id = ANY (p_lease_ids) AND state = 'open';
    GET DIAGNOSTICS o_leases = ROW_COUNT;
END $$;

-- expire_hold with the age re-checked under the row lock: a hold renewed after the sweep listed it stays.
-- (The one-argument form stays for a billing replica of the previous version during a rolling upgrade.)
CREATE FUNCTION expire_hold(p_request_id text, p_timeout_seconds int) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM holds WHERE request_id = p_request_id AND state = 'held'
        AND coalesce(alive_at, created_at) < now() - make_interval(secs => p_timeout_seconds)
    FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    RETURN expire_hold(p_request_id);
END $$;

-- An open lease is an orphan once its reserve window ended and it was not renewed, both more than the timeout ago.
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
