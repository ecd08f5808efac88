-- GET /admin/v1/wallets lists wallets newest first, keyset-paged on (created_at, id): this index both finds a page's start
-- and returns the rows in order, so a page costs its own rows at any number of wallets.
CREATE INDEX wallets_newest ON wallets (created_at DESC, id DESC);
-- Its search by part of a name (name ILIKE '%…%'): with trigrams a rare or absent match reads a few index pages instead of
-- every wallet. pg_trgm ships with PostgreSQL (contrib) and is a trusted extension, which the schema owner may create; a
-- managed server may want it allow-listed first.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX wallets_name_trgm ON wallets USING gin (name gin_trgm_ops);
-- None of these columns changes after a wallet is created, so the hot balance and reserved updates of holds and
-- settlements stay heap-only.
