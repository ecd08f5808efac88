-- Credit leases (docs/architecture.md, "Money"): an edge replica reserves a slice of a wallet and of a key's budget bucket once, holds per
-- request in memory against it, and each request's settlement captures from the lease's reserve.
-- Same rules as 0002: lock order lease row -> key_budgets row -> wallets row; every change to a wallet's balance or
-- reserved is one ledger entry (lease entries carry the lease id as reference; hold/release ones also as request_id).
CREATE TABLE leases (
    lease_id          text PRIMARY KEY,
    wallet_id         uuid NOT NULL REFERENCES wallets (id),
    key_id            uuid NOT NULL,
    budget_period_key text NOT NULL,
    budget_limit      bigint,
    granted           bigint NOT NULL CHECK (granted > 0),
    -- The reserve's ceiling: granted while open, what the edge spent once closed, captured once expired. The lease's
    -- part of the wallet's (and the bucket's) reserved is held - captured.
    held              bigint NOT NULL,
    -- What settlements took out of the reserve. A cost beyond the reserve (late) comes from the balance, not counted here.
    captured          bigint NOT NULL DEFAULT 0,
    state             text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'closed', 'expired')),
    -- No new holds against the lease after this; its requests may still run up to the hold timeout.
    reserve_until     timestamptz NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    closed_at         timestamptz,
    CONSTRAINT lease_amounts CHECK (0 <= captured AND captured <= held AND held <= granted),
    CONSTRAINT lease_open_holds_its_grant CHECK (state <> 'open' OR held = granted),
    CONSTRAINT lease_expired_holds_nothing CHECK (state <> 'expired' OR held = captured)
);
CREATE INDEX leases_open_by_reserve_until ON leases (reserve_until) WHERE state = 'open';
CREATE INDEX leases_closed_unsettled ON leases (closed_at) WHERE state = 'closed' AND held > captured;

-- open_lease: its live definition is Functions/open_lease.sql (applied after the ordered migrations, again whenever it changes).

-- settle_leased: its live definition is Functions/settle_leased.sql (applied after the ordered migrations, again whenever it changes).

-- close_lease: its live definition is Functions/close_lease.sql (applied after the ordered migrations, again whenever it changes).

-- expire_lease: its live definition is Functions/expire_lease.sql (applied after the ordered migrations, again whenever it changes).

-- settle_requests: its live definition is Functions/settle_requests.sql (applied after the ordered migrations, again whenever it changes).
