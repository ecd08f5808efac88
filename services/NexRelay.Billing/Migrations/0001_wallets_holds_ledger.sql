-- Money is integer micro-USD. available = balance - reserved is guarded by a constraint, so no code path can overspend.
CREATE TABLE wallets (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    balance     bigint NOT NULL DEFAULT 0,
    reserved    bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT wallet_balance_nonnegative CHECK (balance >= 0),
    CONSTRAINT wallet_reserved_nonnegative CHECK (reserved >= 0),
    CONSTRAINT wallet_available_nonnegative CHECK (balance - reserved >= 0)
);

-- Append-only: every change to a wallet's balance or reserved is one row here, so the wallet is derivable from it:
-- balance = Σ balance_delta, reserved = Σ reserved_delta. balance_after/reserved_after are the wallet's figures right
-- after the entry (entries of one wallet are serialised by the wallet's row lock, so they read in id order).
CREATE TABLE ledger_entries (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    wallet_id       uuid NOT NULL REFERENCES wallets (id),
    kind            text NOT NULL CHECK (kind IN ('credit', 'hold', 'capture', 'release', 'adjustment')),
    request_id      text,
    reference       text,
    amount          bigint NOT NULL CHECK (amount >= 0),
    balance_delta   bigint NOT NULL,
    reserved_delta  bigint NOT NULL,
    balance_after   bigint NOT NULL,
    reserved_after  bigint NOT NULL,
    -- clamped: usage cost above the hold; late: captured after the hold had expired; expired: orphan release.
    flags           text[] NOT NULL DEFAULT '{}',
    note            text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_entries_wallet ON ledger_entries (wallet_id, id DESC);
-- A credit reference is the caller's idempotency key.
CREATE UNIQUE INDEX ledger_entries_credit_reference ON ledger_entries (wallet_id, reference) WHERE kind = 'credit';
-- At most one capture per request, whatever path (normal or late) produced it.
CREATE UNIQUE INDEX ledger_entries_one_capture ON ledger_entries (request_id) WHERE kind = 'capture';

CREATE FUNCTION ledger_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger_entries is append-only';
END $$;
CREATE TRIGGER ledger_entries_no_update_delete BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entries_append_only();

-- Per key and budget period (total, day:2026-11-29, month:2026-11). The limit is the key policy's, passed in by the edge
-- with each hold, so billing never needs key-policy's database.
CREATE TABLE key_budgets (
    key_id      uuid NOT NULL,
    period_key  text NOT NULL,
    spent       bigint NOT NULL DEFAULT 0 CHECK (spent >= 0),
    reserved    bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    PRIMARY KEY (key_id, period_key)
);

-- One row per granted hold; request_id is the idempotency key of both the hold and its settlement.
CREATE TABLE holds (
    request_id        text PRIMARY KEY,
    wallet_id         uuid NOT NULL REFERENCES wallets (id),
    key_id            uuid NOT NULL,
    amount            bigint NOT NULL CHECK (amount > 0),
    budget_period_key text NOT NULL,
    budget_limit      bigint,
    state             text NOT NULL DEFAULT 'held' CHECK (state IN ('held', 'settled', 'released', 'expired')),
    cost              bigint,
    captured          bigint,
    created_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz
);
CREATE INDEX holds_open_by_age ON holds (created_at) WHERE state = 'held';

-- Settlement messages already applied (by message kind and request id), so a redelivery is a no-op.
CREATE TABLE processed_messages (
    message_id    text PRIMARY KEY,
    processed_at  timestamptz NOT NULL DEFAULT now()
);
