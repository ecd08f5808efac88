-- The one-argument form (no renewal check) stays for a billing replica of the previous version during a rolling upgrade;
-- billing calls the two-argument form below.
-- Releases one orphaned hold (its edge never settled it). Called per hold, each in its own short transaction.
CREATE OR REPLACE FUNCTION expire_hold(p_request_id text) RETURNS boolean
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

-- expire_hold with the age re-checked under the row lock: a hold renewed after the sweep listed it stays.
CREATE OR REPLACE FUNCTION expire_hold(p_request_id text, p_timeout_seconds int) RETURNS boolean
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
