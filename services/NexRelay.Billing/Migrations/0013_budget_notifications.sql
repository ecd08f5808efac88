-- Budget notifications (issue 23). See services/NexRelay.Billing/README.md, "Low-balance and budget notifications".

-- A budget bucket remembers whose it is and the limit of its latest reservation (the limit travels with each hold and
-- lease, set by place_hold and open_lease), and when the budget first refused a request that what was already spent left no
-- room for: "used up", although spent rarely reaches the limit exactly (a request must fit before anything is spent).
ALTER TABLE key_budgets
    ADD COLUMN wallet_id    uuid,
    ADD COLUMN budget_limit bigint,
    ADD COLUMN refused_at   timestamptz;
-- The notification worker's way in: a wallet's limited buckets. wallet_id and budget_limit do not change once set (for a
-- limit, until the key's policy does), so the hot updates of spent and reserved stay heap-only.
CREATE INDEX key_budgets_wallet ON key_budgets (wallet_id, period_key) WHERE budget_limit IS NOT NULL;

-- On by default: a wallet that asked for notifications hears about its keys' budgets at 80 % and 100 % too.
ALTER TABLE notification_settings ADD COLUMN budget_alerts boolean NOT NULL DEFAULT true;
