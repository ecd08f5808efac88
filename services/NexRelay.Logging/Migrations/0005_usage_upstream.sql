-- Usage by upstream (group_by=upstream): the provider that served the requests (the catalog's provider name, as
-- request_logs.upstream_provider holds it; null for a request refused before any upstream). Operators read error rates by
-- upstream from the rollups as they read them by model. Rollup rows written before this migration have no upstream (null):
-- their raw logs may be past retention, so they are not rebuilt; from now on every batch carries it.
ALTER TABLE usage_pending ADD COLUMN upstream_provider text NULL;
ALTER TABLE usage_daily ADD COLUMN upstream_provider text NULL;
ALTER TABLE usage_daily_all ADD COLUMN upstream_provider text NULL;

ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_group;
ALTER TABLE usage_daily ADD CONSTRAINT usage_daily_group UNIQUE NULLS NOT DISTINCT (day, wallet_id, key_id, model, status, upstream_provider);
ALTER TABLE usage_daily_all DROP CONSTRAINT usage_daily_all_group;
ALTER TABLE usage_daily_all ADD CONSTRAINT usage_daily_all_group UNIQUE NULLS NOT DISTINCT (day, model, status, upstream_provider);
