-- Request events logging could not store for a reason retrying will not fix: the event cannot be read, or the database
-- refuses it (a data exception, a constraint, a size limit). The rest of their envelope or batch was stored; each waits here
-- until it is re-queued through the admin API (after the cause is fixed) or discarded. Transient failures never land here.
-- One row per request id (event_key: a hash, since an id may be longer than an index allows; the event text's hash when it
-- has no readable id): the same poison delivered again counts one more failure rather than a second row. event is the
-- event's JSON as it came, kept as text because jsonb refuses \u0000, which may be the very reason the event is here.
CREATE TABLE dead_letters (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_key       text NOT NULL UNIQUE,
    request_id      text,
    kind            text NOT NULL CHECK (kind IN ('malformed', 'refused', 'failed')),
    reason          text NOT NULL,
    event           text NOT NULL,
    failures        integer NOT NULL DEFAULT 1,
    first_failed_at timestamptz NOT NULL DEFAULT now(),
    last_failed_at  timestamptz NOT NULL DEFAULT now()
);
