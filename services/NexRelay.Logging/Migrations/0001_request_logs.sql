CREATE TABLE request_logs (
    request_id  text PRIMARY KEY,
    created_at  timestamptz NOT NULL,
    key_id      uuid NULL,
    wallet_id   uuid NULL,
    payload     jsonb NOT NULL
);
