-- Each deciding body numbers its notices in its own series (e.g. a labour-
-- arbitration commission's "××劳人仲不字〔2026〕1号"), so a number is unique per
-- series, kind and year, not per kind and year. SQLite cannot drop a table
-- constraint: the table is rebuilt (same ids, so notice_prints still match;
-- the foreign-key check is deferred to the commit).
PRAGMA defer_foreign_keys = ON;
CREATE TABLE notices_new (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL REFERENCES cases(id),
    kind             TEXT NOT NULL,
    series           TEXT NOT NULL DEFAULT '',
    doc_no           TEXT NOT NULL UNIQUE,
    year             INTEGER NOT NULL,
    number           INTEGER NOT NULL,
    fields           TEXT NOT NULL,
    template_version TEXT NOT NULL,
    catalog_version  TEXT NOT NULL,
    pdf_sha256       TEXT,
    font_hashes      TEXT,
    issued_by        INTEGER NOT NULL REFERENCES clerks(id),
    issued_at        TEXT NOT NULL,
    event_seq        INTEGER NOT NULL REFERENCES events(seq),
    print_count      INTEGER NOT NULL DEFAULT 0,
    voided_at        TEXT,
    voided_by        INTEGER REFERENCES clerks(id),
    void_reason      TEXT,
    UNIQUE (series, kind, year, number)
);
INSERT INTO notices_new (id, case_id, kind, doc_no, year, number, fields, template_version,
    catalog_version, pdf_sha256, font_hashes, issued_by, issued_at, event_seq, print_count,
    voided_at, voided_by, void_reason)
SELECT id, case_id, kind, doc_no, year, number, fields, template_version,
    catalog_version, pdf_sha256, font_hashes, issued_by, issued_at, event_seq, print_count,
    voided_at, voided_by, void_reason FROM notices;
DROP TABLE notices;
ALTER TABLE notices_new RENAME TO notices;
