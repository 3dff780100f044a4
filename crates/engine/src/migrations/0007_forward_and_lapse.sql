-- A station that only receives an item forwards the case to the body that
-- decides it (the body's name as printed on the 收件回执); an acceptance
-- review that lapsed records its legal consequence; a one-time notice may
-- set a date to supply by, where the item's rules give a period.
ALTER TABLE cases ADD COLUMN forwarded_to TEXT;
ALTER TABLE cases ADD COLUMN review_lapse TEXT;
ALTER TABLE cases ADD COLUMN supply_due TEXT;
