-- Core schema of a station database. Every table that holds a person's
-- rights is only ever changed together with an event in `events`.

CREATE TABLE station (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    code          TEXT NOT NULL,
    name          TEXT NOT NULL,
    county        TEXT NOT NULL,
    log_id        TEXT NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Gap-free counters (case numbers per day, document numbers per kind and year):
-- incremented in the same transaction as the row that uses the number.
CREATE TABLE counters (
    scope TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

CREATE TABLE events (
    seq            INTEGER PRIMARY KEY,
    log_id         TEXT NOT NULL,
    event_id       TEXT NOT NULL UNIQUE,
    kind           TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    device_time    TEXT NOT NULL,
    payload        TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TABLE sync_state (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    acked_seq       INTEGER NOT NULL DEFAULT 0,
    acked_hash      TEXT NOT NULL,
    last_success_ms INTEGER,
    last_error_zh   TEXT
);

-- This station's enrolment with the county: its signing key and registration.
CREATE TABLE device_identity (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    key_secret   TEXT NOT NULL,
    registration TEXT NOT NULL,
    enrolled_at  TEXT NOT NULL
);

-- Reference-data releases from the county, as applied here.
CREATE TABLE releases (
    kind       TEXT NOT NULL,
    version    TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (kind, version)
);

CREATE TABLE clerks (
    id            INTEGER PRIMARY KEY,
    staff_no      TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('clerk', 'leader', 'admin')),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL
);

-- Who is working at this counter right now (one PC, several clerks in turn).
CREATE TABLE counter_session (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    clerk_id INTEGER NOT NULL REFERENCES clerks(id),
    since    TEXT NOT NULL
);

CREATE TABLE catalogs (
    version     TEXT PRIMARY KEY,
    published   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    content     TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX catalogs_one_active ON catalogs(active) WHERE active = 1;

CREATE TABLE templates (
    version     TEXT PRIMARY KEY,
    sha256      TEXT NOT NULL,
    content     TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX templates_one_active ON templates(active) WHERE active = 1;

CREATE TABLE calendar_years (
    year        INTEGER PRIMARY KEY,
    content     TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL
);

CREATE TABLE applicants (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('person', 'organization')),
    name       TEXT NOT NULL,
    id_type    TEXT NOT NULL,
    id_no      TEXT NOT NULL,
    phone      TEXT NOT NULL DEFAULT '',
    address    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (id_type, id_no)
);

CREATE TABLE cases (
    id                     INTEGER PRIMARY KEY,
    case_no                TEXT NOT NULL UNIQUE,
    item_code              TEXT NOT NULL,
    item_name              TEXT NOT NULL,
    catalog_version        TEXT NOT NULL,
    applicant_id           INTEGER NOT NULL REFERENCES applicants(id),
    -- snapshot of the applicant at registration (legal record; also searched)
    applicant_kind         TEXT NOT NULL,
    applicant_name         TEXT NOT NULL,
    applicant_id_type      TEXT NOT NULL,
    applicant_id_no        TEXT NOT NULL,
    agent_name             TEXT,
    agent_id_no            TEXT,
    first_contact          INTEGER NOT NULL REFERENCES clerks(id),
    handler                INTEGER NOT NULL REFERENCES clerks(id),
    state                  TEXT NOT NULL,
    received_on            TEXT NOT NULL,
    registered_at          TEXT NOT NULL,
    onetime_notice_due     TEXT NOT NULL,
    accepted_on            TEXT,
    promised_due           TEXT,
    promised_provisional   INTEGER NOT NULL DEFAULT 0,
    statutory_due          TEXT,
    statutory_provisional  INTEGER NOT NULL DEFAULT 0,
    supplement_due         TEXT,
    applicant_delay_days   INTEGER NOT NULL DEFAULT 0,
    rejection_reason       TEXT,
    rejection_basis        TEXT,
    rejection_proposed_by  INTEGER REFERENCES clerks(id),
    decided_by             INTEGER REFERENCES clerks(id),
    completed_on           TEXT,
    result                 TEXT,
    note                   TEXT NOT NULL DEFAULT '',
    last_event_seq         INTEGER NOT NULL REFERENCES events(seq),
    updated_at             TEXT NOT NULL
);
CREATE INDEX cases_state ON cases(state);
CREATE INDEX cases_applicant_id_no ON cases(applicant_id_no);
CREATE INDEX cases_received_on ON cases(received_on);

CREATE TABLE case_materials (
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    material_code TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('received', 'missing', 'deferred', 'promised', 'not_applicable')),
    PRIMARY KEY (case_id, material_code)
);

-- 否定备案 register: every approved 不予受理 / 不予许可.
CREATE TABLE rejection_filings (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL UNIQUE REFERENCES cases(id),
    decision     TEXT NOT NULL CHECK (decision IN ('not_accepted', 'denied')),
    reason       TEXT NOT NULL,
    legal_basis  TEXT NOT NULL,
    proposed_by  INTEGER NOT NULL REFERENCES clerks(id),
    approved_by  INTEGER NOT NULL REFERENCES clerks(id),
    approved_at  TEXT NOT NULL
);

CREATE TABLE notices (
    id               INTEGER PRIMARY KEY,
    case_id          INTEGER NOT NULL REFERENCES cases(id),
    kind             TEXT NOT NULL,
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
    UNIQUE (kind, year, number)
);

CREATE TABLE notice_prints (
    notice_id  INTEGER NOT NULL REFERENCES notices(id),
    n          INTEGER NOT NULL,
    reprint    INTEGER NOT NULL,
    printed_by INTEGER NOT NULL REFERENCES clerks(id),
    printed_at TEXT NOT NULL,
    pdf_sha256 TEXT,
    PRIMARY KEY (notice_id, n)
);

CREATE TABLE evaluations (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL UNIQUE REFERENCES cases(id),
    channel      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('requested', 'answered', 'defaulted')),
    level        TEXT,
    reasons      TEXT NOT NULL DEFAULT '[]',
    comment      TEXT NOT NULL DEFAULT '',
    requested_at TEXT NOT NULL,
    answered_at  TEXT
);
CREATE INDEX evaluations_requested_at ON evaluations(requested_at);
