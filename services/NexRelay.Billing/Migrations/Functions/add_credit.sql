-- Adds a credit once per (wallet, reference). o_status: created, existing (same amount), conflict (different amount), no_wallet.
CREATE OR REPLACE FUNCTION add_credit(p_wallet uuid, p_amount bigint, p_reference text, OUT o_status text, OUT o_entry_id bigint)
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
