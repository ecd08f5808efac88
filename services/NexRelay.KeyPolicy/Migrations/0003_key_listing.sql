-- GET /admin/v1/keys lists keys newest first, keyset-paged on (created_at, id), optionally of one wallet or one state: each
-- of these indexes both finds a page's start and returns its rows in order, so a page costs its own rows at a million keys
-- (a wallet with many keys, or the rare revoked keys among all, included).
CREATE INDEX keys_newest_idx ON keys (created_at DESC, id DESC);
CREATE INDEX keys_state_newest_idx ON keys (state, created_at DESC, id DESC);
-- Supersedes keys_wallet_idx (wallet_id, created_at), which this one serves as well.
CREATE INDEX keys_wallet_newest_idx ON keys (wallet_id, created_at DESC, id DESC);
DROP INDEX keys_wallet_idx;
-- A search by the hint that request logs carry (nrk_…4f2a).
CREATE INDEX keys_hint_idx ON keys (hint);
-- A search by part of a name (name ILIKE '%…%'): with trigrams a rare or absent match reads a few index pages instead of
-- every key (at a million keys: about a second on both cores without, a few milliseconds with). pg_trgm ships with
-- PostgreSQL (contrib) and is a trusted extension, which the schema owner may create; a managed server may want it
-- allow-listed first.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX keys_name_trgm_idx ON keys USING gin (name gin_trgm_ops);
