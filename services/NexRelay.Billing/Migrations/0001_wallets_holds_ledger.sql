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
