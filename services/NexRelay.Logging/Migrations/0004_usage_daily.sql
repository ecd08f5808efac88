-- Usage rolled up per UTC day, wallet, key, model and status. The statement that stores a batch of request logs adds the
-- batch's own totals (only of rows actually inserted, so a redelivered event counts once) to usage_pending, an append-only
-- table that many writers fill without waiting on each other; a background pump folds pending rows into usage_daily and
-- usage_daily_all every second. GET usage reads whole days from the rollups plus what is still pending, and only the partial
-- days at a range's edges from request_logs: its cost grows with the days asked for, not with the requests in them
-- (docs/architecture.md, "Usage rollups"). Rollups outlive the raw logs' retention: they are a few rows per key and day.
CREATE TABLE usage_pending (
    day                  date    NOT NULL,
    wallet_id            uuid    NULL,
    key_id               uuid    NULL,
    model                text    NULL,
    status               integer NOT NULL,
    requests             bigint  NOT NULL,
    input_tokens         bigint  NOT NULL,
    cached_input_tokens  bigint  NOT NULL,
    output_tokens        bigint  NOT NULL,
    reasoning_tokens     bigint  NOT NULL,
    cost_micros          bigint  NOT NULL
);

CREATE TABLE usage_daily (
    day                  date    NOT NULL,
    wallet_id            uuid    NULL,
    key_id               uuid    NULL,
    model                text    NULL,
    status               integer NOT NULL,
    requests             bigint  NOT NULL,
    input_tokens         bigint  NOT NULL,
    cached_input_tokens  bigint  NOT NULL,
    output_tokens        bigint  NOT NULL,
    reasoning_tokens     bigint  NOT NULL,
    cost_micros          bigint  NOT NULL,
    CONSTRAINT usage_daily_group UNIQUE NULLS NOT DISTINCT (day, wallet_id, key_id, model, status)
);

-- A key's or a wallet's days (the usage API always names one or the other for a key holder).
CREATE INDEX usage_daily_key ON usage_daily (key_id, day);
CREATE INDEX usage_daily_wallet ON usage_daily (wallet_id, day);

-- The same per day, model and status across every wallet: an operator's usage for a month reads a few hundred rows,
-- where usage_daily holds one row per active key and day.
CREATE TABLE usage_daily_all (
    day                  date    NOT NULL,
    model                text    NULL,
    status               integer NOT NULL,
    requests             bigint  NOT NULL,
    input_tokens         bigint  NOT NULL,
    cached_input_tokens  bigint  NOT NULL,
    output_tokens        bigint  NOT NULL,
    reasoning_tokens     bigint  NOT NULL,
    cost_micros          bigint  NOT NULL,
    CONSTRAINT usage_daily_all_group UNIQUE NULLS NOT DISTINCT (day, model, status)
);

-- The logs stored before this migration (sums saturate at bigint's maximum: a row may report close to it in tokens).
INSERT INTO usage_daily
SELECT (created_at AT TIME ZONE 'UTC')::date, wallet_id, key_id, model, status, count(*), LEAST(sum(input_tokens), 9223372036854775807)::bigint, LEAST(sum(cached_input_tokens), 9223372036854775807)::bigint,
       LEAST(sum(output_tokens), 9223372036854775807)::bigint, LEAST(sum(reasoning_tokens), 9223372036854775807)::bigint, LEAST(sum(cost_micros), 9223372036854775807)::bigint
FROM request_logs
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO usage_daily_all
SELECT day, model, status, LEAST(sum(requests), 9223372036854775807)::bigint, LEAST(sum(input_tokens), 9223372036854775807)::bigint, LEAST(sum(cached_input_tokens), 9223372036854775807)::bigint, LEAST(sum(output_tokens), 9223372036854775807)::bigint, LEAST(sum(reasoning_tokens), 9223372036854775807)::bigint, LEAST(sum(cost_micros), 9223372036854775807)::bigint
FROM usage_daily
GROUP BY 1, 2, 3;
