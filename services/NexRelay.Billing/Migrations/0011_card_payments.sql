-- Card payments through Stripe Checkout. A checkout is recorded before its Stripe session is created, so every session
-- NexRelay asked for has a row to check a webhook against; the wallet is credited only by the signed
-- checkout.session.completed event, once (state open → paid), for exactly the amount and currency recorded here.
CREATE TABLE checkouts (
    id                 uuid PRIMARY KEY,
    wallet_id          uuid NOT NULL REFERENCES wallets (id),
    key_id             uuid NOT NULL,
    amount             bigint NOT NULL CHECK (amount > 0),          -- micro-USD credited when paid
    currency           text NOT NULL,
    amount_minor       bigint NOT NULL CHECK (amount_minor > 0),    -- what Stripe charges, in the currency's minor unit
    session_id         text UNIQUE,
    state              text NOT NULL DEFAULT 'creating' CHECK (state IN ('creating', 'open', 'paid')),
    payment_intent_id  text,
    credit_entry_id    bigint,
    refunded_minor     bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0),
    shortfall          bigint NOT NULL DEFAULT 0 CHECK (shortfall >= 0), -- micro-USD refunded or disputed that the wallet no longer had
    created_at         timestamptz NOT NULL DEFAULT now(),
    paid_at            timestamptz
);
CREATE INDEX checkouts_wallet ON checkouts (wallet_id, created_at DESC);
CREATE UNIQUE INDEX checkouts_payment_intent ON checkouts (payment_intent_id) WHERE payment_intent_id IS NOT NULL;

-- Stripe events applied, by Stripe's event id: a redelivered event is a no-op.
CREATE TABLE stripe_events (
    event_id     text PRIMARY KEY,
    type         text NOT NULL,
    checkout_id  uuid REFERENCES checkouts (id),
    outcome      text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);
