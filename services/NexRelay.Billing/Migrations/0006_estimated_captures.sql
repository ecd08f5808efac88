-- The trigger needs its function to exist; its body is Functions/flag_estimated_capture.sql, applied after the ordered migrations.
CREATE FUNCTION flag_estimated_capture() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;

CREATE TRIGGER ledger_entries_flag_estimated BEFORE INSERT ON ledger_entries
    FOR EACH ROW WHEN (NEW.kind = 'capture') EXECUTE FUNCTION flag_estimated_capture();

-- settle_requests: its live definition is Functions/settle_requests.sql (applied after the ordered migrations, again whenever it changes).
