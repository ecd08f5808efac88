-- What the Redis repair pass reads (Keys/KeySnapshotRepair.cs): the keys changed lately, found by updated_at, and the hashes a
-- rotation retired, whose revoked tombstones it rewrites too (the keys row only holds the current hash).
CREATE INDEX keys_updated_idx ON keys (updated_at);

CREATE TABLE retired_key_hashes (
    key_hash   text PRIMARY KEY,
    key_id     uuid NOT NULL REFERENCES keys (id),
    retired_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX retired_key_hashes_retired_idx ON retired_key_hashes (retired_at);
