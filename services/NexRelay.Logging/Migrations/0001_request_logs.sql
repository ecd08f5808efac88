-- One row per request the edge saw with a well-formed key. request_id is the idempotency key for redelivered events.
CREATE TABLE request_logs (
    request_id           text COLLATE "C" PRIMARY KEY,
    created_at           timestamptz      NOT NULL,
    key_id               uuid             NULL,
    key_hint             text             NULL,
    wallet_id            uuid             NULL,
    client_format        text             NOT NULL,
    route                text             NOT NULL,
    model                text             NULL,
    upstream_provider    text             NULL,
    upstream_model       text             NULL,
    stream               boolean          NOT NULL,
    status               integer          NOT NULL,
    error_code           text             NULL,
    input_tokens         bigint           NOT NULL,
    cached_input_tokens  bigint           NOT NULL,
    output_tokens        bigint           NOT NULL,
    reasoning_tokens     bigint           NOT NULL,
    usage_estimated      boolean          NOT NULL,
    usage_clamped        boolean          NOT NULL,
    held_micros          bigint           NOT NULL,
    cost_micros          bigint           NOT NULL,
    latency_ms           double precision NOT NULL,
    upstream_ttfb_ms     double precision NULL,
    ttft_ms              double precision NULL,
    finish_reason        text             NULL,
    client_ip            text             NULL,
    user_agent           text             NULL,
    request_body         text             NULL,
    response_body        text             NULL
);

-- Keyset pages newest first: (created_at, request_id) descending, per key, per wallet, and unfiltered.
CREATE INDEX request_logs_key_page ON request_logs (key_id, created_at DESC, request_id DESC);
CREATE INDEX request_logs_wallet_page ON request_logs (wallet_id, created_at DESC, request_id DESC);
-- Unfiltered admin pages and the retention purge (oldest first).
CREATE INDEX request_logs_created ON request_logs (created_at, request_id);
