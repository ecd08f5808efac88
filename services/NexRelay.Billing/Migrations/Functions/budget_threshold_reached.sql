-- Whether a key's budget bucket has reached p_percent of its limit (budget notifications, 0013). At 100 % the budget is
-- also used up once it refused a request that what was already spent left no room for (place_hold notes it): spent rarely reaches the limit exactly, since a
-- request must fit its worst case before anything is spent. The one home of the rule: the notification worker's search
-- and its evaluation (Notifications/NotificationStore.Budgets.cs) both call it.
CREATE OR REPLACE FUNCTION budget_threshold_reached(p_percent int, p_spent bigint, p_limit bigint, p_refused_at timestamptz)
RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN p_percent >= 100 THEN p_spent >= p_limit OR p_refused_at IS NOT NULL
                ELSE p_spent::numeric * 100 >= p_limit::numeric * p_percent END
$$;
