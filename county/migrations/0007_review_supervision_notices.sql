-- Console: 否定备案审查 (reviews), 时限督办 (挂牌督办 flags), the notices
-- projection, and more case facts (the acceptance-review day, the applicant
-- masked as the window masks them). docs/design/county-console.md.

-- Projections (recomputed from the stored events).
ALTER TABLE cases
    ADD COLUMN onetime_due         date,
    ADD COLUMN applicant_masked    text,
    ADD COLUMN applicant_id_masked text;

-- The software each station runs (its `station.software` events).
ALTER TABLE station_facts ADD COLUMN app_version text;

CREATE TABLE notices (
    log_id           text NOT NULL,
    station_code     text NOT NULL,
    doc_no           text NOT NULL,
    case_no          text,
    kind             text,
    issued_by        text,
    issued_at        text,
    template_version text,
    pdf_sha256       text,
    prints           integer NOT NULL DEFAULT 0,
    reprints         integer NOT NULL DEFAULT 0,
    voided_at        text,
    voided_by        text,
    void_reason      text,
    PRIMARY KEY (log_id, doc_no)
);
CREATE INDEX notices_by_case ON notices (station_code, case_no);

-- Every case event: the cases' histories.
CREATE TABLE case_events (
    log_id       text NOT NULL,
    seq          bigint NOT NULL,
    station_code text NOT NULL,
    case_no      text NOT NULL,
    action       text NOT NULL,
    state        text NOT NULL,
    actor        text,
    reason       text,
    device_time  text NOT NULL,
    PRIMARY KEY (log_id, seq)
);
CREATE INDEX case_events_by_case ON case_events (station_code, case_no, seq);

-- A flag as the station says it received it (and lifted it).
CREATE TABLE supervision_receipts (
    log_id        text NOT NULL,
    station_code  text NOT NULL,
    case_no       text NOT NULL,
    flagged_at_ms bigint NOT NULL,
    received_at   text,
    lifted_at     text,
    PRIMARY KEY (log_id, case_no, flagged_at_ms)
);

CREATE INDEX filings_kind_decided ON filings (kind, decided_on);
-- The console's month figures read the cases received in a period, all
-- stations at once.
CREATE INDEX cases_received ON cases (received_on);
-- A case looked up by its number (办件详情, a flag, a flag's case).
CREATE INDEX cases_by_number ON cases (station_code, case_no);

-- County records (not projections: staff acts, kept through a re-projection).

-- A reviewer's finding on a filing; a later review of the same filing
-- supersedes it on the page, and every one stays (append-only).
CREATE TABLE filing_reviews (
    id           bigserial PRIMARY KEY,
    log_id       text NOT NULL,
    seq          bigint NOT NULL,
    station_code text NOT NULL,
    case_no      text NOT NULL,
    verdict      text NOT NULL CHECK (verdict IN ('compliant', 'doubtful')),
    comment      text NOT NULL DEFAULT '',
    staff_id     bigint NOT NULL REFERENCES staff (id),
    reviewed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX filing_reviews_filing ON filing_reviews (log_id, seq, id);
CREATE FUNCTION filing_reviews_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'filing_reviews is append-only';
END $$;
CREATE TRIGGER filing_reviews_no_update BEFORE UPDATE OR DELETE ON filing_reviews
    FOR EACH ROW EXECUTE FUNCTION filing_reviews_append_only();
CREATE TRIGGER filing_reviews_no_truncate BEFORE TRUNCATE ON filing_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION filing_reviews_append_only();

-- 挂牌督办: a case flagged by the 行政审批室, sent to its station with the
-- next sync, until lifted. At most one open flag per case.
CREATE TABLE supervision (
    id            bigserial PRIMARY KEY,
    station_code  text NOT NULL,
    case_no       text NOT NULL,
    note          text NOT NULL,
    flagged_by    bigint NOT NULL REFERENCES staff (id),
    flagged_at    timestamptz NOT NULL DEFAULT now(),
    lifted_by     bigint REFERENCES staff (id),
    lifted_at     timestamptz,
    lift_note     text
);
CREATE UNIQUE INDEX supervision_open ON supervision (station_code, case_no) WHERE lifted_at IS NULL;

-- Existing rows lack the new facts: project every log again.
DELETE FROM cases;
DELETE FROM quarantine;
DELETE FROM filings;
DELETE FROM evaluations;
DELETE FROM station_facts;
UPDATE devices SET projected_seq = 0;
