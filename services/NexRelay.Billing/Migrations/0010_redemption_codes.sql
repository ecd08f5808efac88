-- Redemption codes: an operator mints a batch of codes worth one amount each; a key holder redeems one into their wallet.
-- Only the HMAC of a code is stored (code_hash, as API keys are): the codes themselves are shown once, in the mint answer.
CREATE TABLE redemption_batches (
    id          uuid PRIMARY KEY,
    amount      bigint NOT NULL CHECK (amount > 0),
    code_count  integer NOT NULL CHECK (code_count > 0),
    expires_at  timestamptz NOT NULL,
    note        text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    voided_at   timestamptz
);

-- state: unused → redeemed (once, by redeem_code) or unused → voided (by an operator); never back.
CREATE TABLE redemption_codes (
    id               uuid PRIMARY KEY,
    batch_id         uuid NOT NULL REFERENCES redemption_batches (id),
    code_hash        text NOT NULL UNIQUE,
    state            text NOT NULL DEFAULT 'unused' CHECK (state IN ('unused', 'redeemed', 'voided')),
    redeemed_at      timestamptz,
    wallet_id        uuid REFERENCES wallets (id),
    key_id           uuid,
    ledger_entry_id  bigint,
    voided_at        timestamptz,
    CONSTRAINT redemption_code_redeemed_once CHECK ((state = 'redeemed') = (ledger_entry_id IS NOT NULL))
);
CREATE INDEX redemption_codes_batch ON redemption_codes (batch_id, state);
