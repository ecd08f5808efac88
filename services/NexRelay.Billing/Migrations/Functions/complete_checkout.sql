-- Applies Stripe's checkout.session.completed (payment_status paid): credits the checkout's wallet once, for the amount
-- recorded when NexRelay created the session. Lock order: checkout → wallet.
-- o_status: credited; already_paid (another event for this session credited it); duplicate_event (this event was applied);
-- unknown_session (NexRelay never created it: nothing written); mismatch (amount or currency differ from what was recorded:
-- nothing written).
CREATE OR REPLACE FUNCTION complete_checkout(p_event_id text, p_session_id text, p_amount_minor bigint, p_currency text,
    p_payment_intent text, OUT o_status text, OUT o_entry_id bigint, OUT o_checkout_id uuid, OUT o_wallet_id uuid)
LANGUAGE plpgsql AS $$
DECLARE
    c checkouts%ROWTYPE;
    v_balance bigint;
    v_reserved bigint;
BEGIN
    SELECT * INTO c FROM checkouts WHERE session_id = p_session_id FOR UPDATE;
    IF NOT FOUND THEN o_status := 'unknown_session'; RETURN; END IF;
    o_checkout_id := c.id;
    o_wallet_id := c.wallet_id;
    IF c.amount_minor <> p_amount_minor OR c.currency <> lower(p_currency) THEN o_status := 'mismatch'; RETURN; END IF;

    INSERT INTO stripe_events (event_id, type, checkout_id, outcome)
    VALUES (p_event_id, 'checkout.session.completed', c.id, CASE WHEN c.state = 'paid' THEN 'already_paid' ELSE 'credited' END)
    ON CONFLICT (event_id) DO NOTHING;
    IF NOT FOUND THEN o_status := 'duplicate_event'; o_entry_id := c.credit_entry_id; RETURN; END IF;
    IF c.state = 'paid' THEN o_status := 'already_paid'; o_entry_id := c.credit_entry_id; RETURN; END IF;

    UPDATE wallets SET balance = balance + c.amount WHERE id = c.wallet_id RETURNING balance, reserved INTO v_balance, v_reserved;
    INSERT INTO ledger_entries (wallet_id, kind, reference, amount, balance_delta, reserved_delta, balance_after, reserved_after, flags, note)
    VALUES (c.wallet_id, 'credit', 'stripe:' || p_session_id, c.amount, c.amount, 0, v_balance, v_reserved, '{card}',
            'card payment, checkout ' || c.id)
    RETURNING id INTO o_entry_id;
    UPDATE checkouts SET state = 'paid', paid_at = now(), credit_entry_id = o_entry_id,
        payment_intent_id = coalesce(nullif(p_payment_intent, ''), payment_intent_id)
    WHERE id = c.id;
    o_status := 'credited';
END $$;
