-- Low-balance notifications (issue 23). See services/NexRelay.Billing/README.md, "Low-balance and budget notifications".

-- One row per wallet that wants notifications. The signing secret is kept in clear because signing needs it (an HMAC
-- key, like a Stripe endpoint secret); it is shown to the owner once, when the settings are created.
CREATE TABLE notification_settings (
    wallet_id     uuid PRIMARY KEY REFERENCES wallets (id),
    url           text NOT NULL,
    secret        text NOT NULL,
    balance_below bigint CHECK (balance_below >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Per wallet and threshold ("balance:<micros>"): fired while the balance is below it, re-armed when it is back above.
-- last_fired_at keeps a flapping balance from sending more than one event per flap window.
CREATE TABLE notification_states (
    wallet_id     uuid NOT NULL REFERENCES wallets (id),
    subject       text NOT NULL,
    fired         boolean NOT NULL,
    last_fired_at timestamptz,
    PRIMARY KEY (wallet_id, subject)
);

-- The outbox and the delivery log in one: a row is written in the same transaction as the state change that fired it,
-- so a crash never loses or duplicates an event; the worker delivers it (id = the event id receivers deduplicate on).
CREATE TABLE notification_deliveries (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              uuid NOT NULL UNIQUE,
    wallet_id       uuid NOT NULL REFERENCES wallets (id),
    event_type      text NOT NULL,
    body            text NOT NULL,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
CREATE INDEX notification_deliveries_wallet ON notification_deliveries (wallet_id, seq DESC);
CREATE INDEX notification_deliveries_due ON notification_deliveries (next_attempt_at) WHERE state = 'pending';

-- Every attempt, for the owner's delivery log: the receiver's status or why there was none.
CREATE TABLE notification_attempts (
    delivery_id  uuid NOT NULL REFERENCES notification_deliveries (id),
    attempt      integer NOT NULL,
    attempted_at timestamptz NOT NULL DEFAULT now(),
    status_code  integer,
    error        text,
    PRIMARY KEY (delivery_id, attempt)
);
