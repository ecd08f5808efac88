-- API keys: only the HMAC of the secret is stored (key_hash); the secret itself never reaches the database.
CREATE TABLE keys (
    id                uuid PRIMARY KEY,
    wallet_id         uuid NOT NULL,
    name              text NOT NULL,
    key_hash          text NOT NULL UNIQUE,
    hint              text NOT NULL,
    state             text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled', 'revoked')),
    allowed_models    text[] NOT NULL DEFAULT '{}',
    max_output_tokens integer NULL,
    output_cap_mode   text NOT NULL DEFAULT 'clamp' CHECK (output_cap_mode IN ('clamp', 'reject')),
    budget_micros     bigint NULL CHECK (budget_micros >= 0),
    budget_period     text NOT NULL DEFAULT 'total' CHECK (budget_period IN ('total', 'day', 'month')),
    rpm               integer NULL CHECK (rpm > 0),
    tpm               integer NULL CHECK (tpm > 0),
    log_bodies        boolean NOT NULL DEFAULT false,
    expires_at        timestamptz NULL,
    version           integer NOT NULL DEFAULT 0,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    rotated_at        timestamptz NULL,
    revoked_at        timestamptz NULL
);
CREATE INDEX keys_wallet_idx ON keys (wallet_id, created_at);
