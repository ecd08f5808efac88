CREATE TABLE keys (
    id          uuid PRIMARY KEY,
    wallet_id   uuid NOT NULL,
    name        text NOT NULL,
    key_hash    text NOT NULL UNIQUE,
    hint        text NOT NULL,
    state       text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled', 'revoked')),
    policy      jsonb NOT NULL,
    expires_at  timestamptz NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX keys_wallet_idx ON keys (wallet_id, created_at);
