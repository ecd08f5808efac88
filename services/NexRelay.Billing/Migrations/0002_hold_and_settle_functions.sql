-- Each money movement is one server-side function, so the service makes one round trip per operation and the hot
-- wallet's row lock is held only for the few microseconds the function runs (never across a network round trip).
-- Lock order everywhere: holds row -> key_budgets row -> wallets row. Same order in every function = no deadlocks.

-- place_hold: its live definition is Functions/place_hold.sql (applied after the ordered migrations, again whenever it changes).

-- settle_hold: its live definition is Functions/settle_hold.sql (applied after the ordered migrations, again whenever it changes).

-- expire_hold: its live definition is Functions/expire_hold.sql (applied after the ordered migrations, again whenever it changes).

-- add_credit: its live definition is Functions/add_credit.sql (applied after the ordered migrations, again whenever it changes).
