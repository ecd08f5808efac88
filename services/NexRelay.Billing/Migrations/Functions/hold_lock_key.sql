-- The transaction-level advisory lock that serialises placing and settling one request's hold (place_hold, settle_hold,
-- settle_requests). Without it a settlement at zero (the edge's compensation for a hold billing did not answer in time)
-- could run while the slow place_hold had inserted its row but not committed: the settlement saw no hold, recorded the
-- request as settled, and the hold committed afterwards, reserved until the orphan sweep (Billing:HoldTimeoutSeconds).
CREATE OR REPLACE FUNCTION hold_lock_key(p_request_id text) RETURNS bigint
LANGUAGE sql IMMUTABLE AS $$
    SELECT hashtextextended('hold:' || p_request_id, 0)
$$;
