-- A capture charged from an estimate (the client left, or the upstream cut the stream, before the upstream's final usage:
-- see the edge's Charging/ChargeRule.cs) carries the flag 'estimated' in the ledger, as its request log row does.
--
-- Rather than a second copy of settle_hold, settle_leased and the bulk capture (three places that write capture entries),
-- settle_requests' four-argument form names the batch's estimated request ids in a transaction-local setting, and this
-- trigger function (on ledger_entries, 0006) flags the capture entries written for them.
CREATE OR REPLACE FUNCTION flag_estimated_capture() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v_ids text := current_setting('nexrelay.estimated_requests', true);
BEGIN
    IF v_ids IS NOT NULL AND v_ids <> '' AND NEW.request_id = ANY (v_ids::text[]) AND NOT ('estimated' = ANY (NEW.flags)) THEN
        NEW.flags := array_append(NEW.flags, 'estimated');
    END IF;
    RETURN NEW;
END $$;
