-- A live request keeps its reservation: the edge renews the holds and credit leases of requests still running
-- (POST /internal/reservations/renew), and the orphan sweep releases only what was neither created nor renewed within
-- Billing:HoldTimeoutSeconds. Before this, a stream longer than the hold timeout had its reservation released while it
-- still ran: the key holder could spend the same money again, and the late settlement was partly written off.
ALTER TABLE holds ADD COLUMN alive_at timestamptz;
ALTER TABLE leases ADD COLUMN alive_at timestamptz;

-- renew_reservations: its live definition is Functions/renew_reservations.sql (applied after the ordered migrations, again whenever it changes).

-- expire_hold: its live definition is Functions/expire_hold.sql (applied after the ordered migrations, again whenever it changes).

-- expire_lease: its live definition is Functions/expire_lease.sql (applied after the ordered migrations, again whenever it changes).
