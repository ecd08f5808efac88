-- A finished request's reservation is kept alive until its settlement arrives: the edge renews it until RabbitMQ confirms the
-- request's event (during a broker outage the event waits in the edge's spool). For a credit lease that means renewing it
-- after the edge has closed it, while part of what it spent is still uncaptured; before this a closed lease could not be
-- renewed, and one closed longer than the hold timeout before its captures arrived had them captured late.
CREATE OR REPLACE FUNCTION renew_reservations(p_hold_ids text[], p_lease_ids text[], OUT o_holds int, OUT o_leases int)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM holds WHERE request_id = ANY (p_hold_ids) AND state = 'held' ORDER BY request_id FOR NO KEY UPDATE;
    UPDATE holds SET alive_at = now() WHERE request_id = ANY (p_hold_ids) AND state = 'held';
    GET DIAGNOSTICS o_holds = ROW_COUNT;
    PERFORM 1 FROM leases WHERE lease_id = ANY (p_lease_ids) AND (state = 'open' OR state = 'closed' AND held > captured)
        ORDER BY lease_id FOR NO KEY UPDATE;
    UPDATE leases SET alive_at = now() WHERE lease_id = ANY (p_lease_ids) AND (state = 'open' OR state = 'closed' AND held > captured);
    GET DIAGNOSTICS o_leases = ROW_COUNT;
END $$;
