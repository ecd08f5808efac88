-- The late path (a settlement after its reservation expired) shared by settle_hold and settle_leased: capture_late.
-- No table changed; the functions this migration once created or replaced live in Functions/.

-- capture_late: its live definition is Functions/capture_late.sql (applied after the ordered migrations, again whenever it changes).

-- settle_hold: its live definition is Functions/settle_hold.sql (applied after the ordered migrations, again whenever it changes).

-- settle_leased: its live definition is Functions/settle_leased.sql (applied after the ordered migrations, again whenever it changes).
