-- Redeems one code into a wallet: the code's state change and the wallet's credit (a ledger entry naming the code's batch)
-- in one transaction. The code row is locked first (lock order: code → wallet), so of any number of concurrent redemptions
-- of one code exactly one finds it unused; the others wait for it and then read 'redeemed'.
-- o_status: redeemed, unknown, used, voided, expired, no_wallet. Anything but redeemed writes nothing.
CREATE OR REPLACE FUNCTION redeem_code(p_code_hash text, p_wallet uuid, p_key uuid,
    OUT o_status text, OUT o_entry_id bigint, OUT o_amount bigint, OUT o_batch_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
    v_code_id uuid;
    v_state text;
    v_expires timestamptz;
    v_batch_voided timestamptz;
    v_balance bigint;
    v_reserved bigint;
BEGIN
    SELECT c.id, c.state, c.batch_id, b.amount, b.expires_at, b.voided_at
    INTO v_code_id, v_state, o_batch_id, o_amount, v_expires, v_batch_voided
    FROM redemption_codes c JOIN redemption_batches b ON b.id = c.batch_id
    WHERE c.code_hash = p_code_hash
    FOR UPDATE OF c;
    IF NOT FOUND THEN
        o_status := 'unknown'; o_batch_id := NULL; o_amount := NULL;
        RETURN;
    END IF;
    IF v_state = 'redeemed' THEN o_status := 'used'; RETURN; END IF;
    IF v_state = 'voided' OR v_batch_voided IS NOT NULL THEN o_status := 'voided'; RETURN; END IF;
    IF v_expires <= now() THEN o_status := 'expired'; RETURN; END IF;

    UPDATE wallets SET balance = balance + o_amount WHERE id = p_wallet RETURNING balance, reserved INTO v_balance, v_reserved;
    IF NOT FOUND THEN o_status := 'no_wallet'; RETURN; END IF;
    INSERT INTO ledger_entries (wallet_id, kind, reference, amount, balance_delta, reserved_delta, balance_after, reserved_after, flags, note)
    VALUES (p_wallet, 'credit', 'redemption:' || o_batch_id || ':' || v_code_id, o_amount, o_amount, 0, v_balance, v_reserved, '{redemption}',
            'redemption code of batch ' || o_batch_id)
    RETURNING id INTO o_entry_id;
    UPDATE redemption_codes SET state = 'redeemed', redeemed_at = now(), wallet_id = p_wallet, key_id = p_key, ledger_entry_id = o_entry_id
    WHERE id = v_code_id;
    o_status := 'redeemed';
END $$;
