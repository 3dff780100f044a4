-- A case's notices are looked up on every print (one per kind and case);
-- without an index each print read the whole table, which grew with the
-- station (and on an encrypted station each page read is a decryption).
CREATE INDEX notices_by_case ON notices (case_id, kind);
