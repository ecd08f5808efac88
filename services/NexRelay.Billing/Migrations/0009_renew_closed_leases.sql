-- renew_reservations: its live definition is Functions/renew_reservations.sql (applied after the ordered migrations, again whenever it changes).

-- expire_lease: its live definition is Functions/expire_lease.sql (applied after the ordered migrations, again whenever it changes).
