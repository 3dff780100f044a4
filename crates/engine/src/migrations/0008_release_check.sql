-- When the county last answered a verified release list (its clock, unix
-- ms): a feed blocked on the way shows as a check that has gone stale.
ALTER TABLE sync_state ADD COLUMN releases_checked_ms INTEGER;
