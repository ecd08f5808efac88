-- A capture charged from an estimate (the client left, or the upstream cut the stream, before the upstream's final usage:
-- see the edge's Charging/ChargeRule.cs) carries the flag 'estimated' in the ledger, as its request log row does.
--
-- settle_requests gains the per-item flag. Rather than a second copy of settle_hold, settle_leased and the bulk capture
-- (three places that write capture entries), the new overload names the batch's estimated request ids in a
-- transaction-local setting, and one trigger flags the capture entries written for them. The three-argument settle_requests
-- stays, so a billing replica of the previous version keeps working during a rolling upgrade.
CREATE FUNCTION flag_estimated_capture() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_ids text := current_setting('nexrelay.estimated_requests', true);
BEGIN
    IF v_ids IS NOT NULL AND v_ids <> '' AND NEW.request_id = ANY (v_ids::text[]) AND NOT ('estimated' = ANY (NEW.flags)) THEN
        NEW.flags := array_append(NEW.flags, 'estimated');
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER ledger_entries_flag_estimated BEFORE INSERT ON ledger_entries
    FOR EACH ROW WHEN (NEW.kind = 'capture') EXECUTE FUNCTION flag_estimated_capture();

CREATE FUNCTION settle_requests(p_request_ids text[], p_lease_ids text[], p_costs bigint[], p_estimated boolean[])
RETURNS TABLE (o_index int, o_outcome text, o_wallet uuid, o_held bigint, o_captured bigint, o_released bigint, o_clamped boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_estimated text[];
BEGIN
    SELECT coalesce(array_agg(t.request_id), '{}') INTO v_estimated
    FROM unnest(p_request_ids, p_estimated) AS t(request_id, estimated)
    WHERE t.estimated;
    PERFORM set_config('nexrelay.estimated_requests', CASE WHEN cardinality(v_estimated) = 0 THEN '' ELSE v_estimated::text END, true);
    RETURN QUERY SELECT * FROM settle_requests(p_request_ids, p_lease_ids, p_costs);
    PERFORM set_config('nexrelay.estimated_requests', '', true);
END $$;
