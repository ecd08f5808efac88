-- Applies a refund (charge.refunded) or a dispute (charge.dispute.created) of a paid checkout: a ledger debit ('adjustment',
-- flagged refund or dispute) of what was given back, taken only from what the wallet has available, never below zero; any
-- rest is flagged 'shortfall' on the entry (its note gives the figures) and added to the checkout's shortfall, for the operator.
-- Refunds carry Stripe's cumulative amount_refunded (p_cumulative): what is debited is the increase since the last refund
-- applied. Disputes are debited once per dispute (the entry's reference names it). Lock order: checkout → wallet.
-- o_status: debited, duplicate_event, nothing_owed, unknown_payment (not a NexRelay checkout: nothing written).
CREATE OR REPLACE FUNCTION debit_payment(p_event_id text, p_type text, p_payment_intent text, p_kind text, p_reference text,
    p_amount_minor bigint, p_cumulative boolean,
    OUT o_status text, OUT o_entry_id bigint, OUT o_owed bigint, OUT o_collected bigint, OUT o_shortfall bigint)
LANGUAGE plpgsql AS $$
DECLARE
    c checkouts%ROWTYPE;
    v_minor bigint;
    v_balance bigint;
    v_reserved bigint;
BEGIN
    SELECT * INTO c FROM checkouts WHERE payment_intent_id = p_payment_intent AND state = 'paid' FOR UPDATE;
    IF NOT FOUND THEN o_status := 'unknown_payment'; RETURN; END IF;
    INSERT INTO stripe_events (event_id, type, checkout_id, outcome) VALUES (p_event_id, p_type, c.id, 'applied')
    ON CONFLICT (event_id) DO NOTHING;
    IF NOT FOUND THEN o_status := 'duplicate_event'; RETURN; END IF;

    IF p_cumulative THEN
        v_minor := least(p_amount_minor, c.amount_minor) - c.refunded_minor;
    ELSIF EXISTS (SELECT 1 FROM ledger_entries WHERE wallet_id = c.wallet_id AND kind = 'adjustment' AND reference = p_reference) THEN
        v_minor := 0;
    ELSE
        v_minor := least(p_amount_minor, c.amount_minor);
    END IF;
    IF v_minor <= 0 THEN o_status := 'nothing_owed'; RETURN; END IF;

    o_owed := v_minor * c.amount / c.amount_minor;
    SELECT balance, reserved INTO v_balance, v_reserved FROM wallets WHERE id = c.wallet_id FOR NO KEY UPDATE;
    o_collected := least(o_owed, v_balance - v_reserved);
    o_shortfall := o_owed - o_collected;
    UPDATE wallets SET balance = balance - o_collected WHERE id = c.wallet_id RETURNING balance, reserved INTO v_balance, v_reserved;
    INSERT INTO ledger_entries (wallet_id, kind, reference, amount, balance_delta, reserved_delta, balance_after, reserved_after, flags, note)
    VALUES (c.wallet_id, 'adjustment', p_reference, o_collected, -o_collected, 0, v_balance, v_reserved,
            CASE WHEN o_shortfall > 0 THEN ARRAY[p_kind, 'shortfall'] ELSE ARRAY[p_kind] END,
            format('%s of checkout %s: owed %s, collected %s, shortfall %s (micro-USD)', p_kind, c.id, o_owed, o_collected, o_shortfall))
    RETURNING id INTO o_entry_id;
    UPDATE checkouts SET shortfall = shortfall + o_shortfall,
        refunded_minor = CASE WHEN p_cumulative THEN least(p_amount_minor, c.amount_minor) ELSE refunded_minor END
    WHERE id = c.id;
    o_status := 'debited';
END $$;
