-- 好差评 figures are counted over the cases received in a period. Keeping the
-- case's receipt day on its evaluation lets the month's evaluations be read
-- by one index range instead of hashing every evaluation ever stored
-- (docs/benchmarks.md, the console bench). The day never changes once a
-- case is registered; the projection copies it from the case row.
ALTER TABLE evaluations ADD COLUMN received_on date;
UPDATE evaluations e SET received_on = c.received_on
    FROM cases c WHERE c.log_id = e.log_id AND c.case_no = e.case_no;
CREATE INDEX evaluations_received ON evaluations (received_on);
