-- Responses the OpenAI Responses API stored (store: true, its default), so previous_response_id continues them on every
-- upstream kind and GET/DELETE /api/v1/responses/{id} and .../input_items answer (docs/architecture.md, "Stored responses").
-- Owned by logging beside the request logs: both are what a key's owner sent and got, kept for a retention period, and
-- neither is money. id is the response id the client saw (NexRelay's resp_… or an OpenAI upstream's); wallet_id scopes it to
-- the owner (another owner's id is not found). input is the JSON array of input items the response answered (a continued
-- response's includes its predecessors' items and outputs); response is the response object as the client got it. Both are
-- text, not jsonb: jsonb refuses \u0000, which a client may send.
CREATE TABLE stored_responses (
    id          text COLLATE "C" PRIMARY KEY,
    wallet_id   uuid        NOT NULL,
    key_id      uuid        NOT NULL,
    request_id  text        NOT NULL,
    model       text        NOT NULL,
    created_at  timestamptz NOT NULL,
    input       text        NOT NULL,
    response    text        NOT NULL
);

-- The retention purge, oldest first.
CREATE INDEX stored_responses_created ON stored_responses (created_at);

-- What storing a response added, in bytes (its input items and response object as stored); null when nothing was stored.
ALTER TABLE request_logs ADD COLUMN stored_bytes bigint NULL;
