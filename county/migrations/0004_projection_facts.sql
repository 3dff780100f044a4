-- Projections for the console (docs/design/county-console.md): what the
-- events say beyond a case's latest state. All of it is recomputed from the
-- stored events; `yichuang-county reproject` drops and rebuilds it.
ALTER TABLE cases
    ADD COLUMN received_on     date,
    ADD COLUMN registered_at   text,
    ADD COLUMN first_contact   text,
    ADD COLUMN handler         text,
    ADD COLUMN catalog_version text,
    ADD COLUMN accepted_on     date,
    ADD COLUMN promised_due    date,
    ADD COLUMN statutory_due   date,
    ADD COLUMN supplement_due  date,
    ADD COLUMN closed_on       date;
CREATE INDEX cases_station_received ON cases (station_code, received_on);
CREATE INDEX cases_state ON cases (state);

-- 否定备案 filings (不予受理 approved by a leader, 不予许可), one per event.
CREATE TABLE filings (
    log_id       text NOT NULL,
    seq          bigint NOT NULL,
    station_code text NOT NULL,
    case_no      text NOT NULL,
    kind         text NOT NULL,
    reason       text,
    legal_basis  text,
    proposed_by  text,
    approved_by  text,
    decided_on   date,
    device_time  text NOT NULL,
    PRIMARY KEY (log_id, seq)
);
CREATE INDEX filings_station_decided ON filings (station_code, decided_on);

-- 好差评 per case.
CREATE TABLE evaluations (
    log_id       text NOT NULL,
    case_no      text NOT NULL,
    station_code text NOT NULL,
    status       text NOT NULL,
    channel      text,
    level        text,
    -- Whether the level counted as good on the station's scale (the
    -- station's event says; a county-published five-level scale included).
    good         boolean,
    reasons      text,
    comment      text,
    requested_at text,
    answered_at  text,
    last_seq     bigint NOT NULL,
    PRIMARY KEY (log_id, case_no)
);

-- What a station's own events say about it (name, at-risk setting, versions).
CREATE TABLE station_facts (
    log_id            text PRIMARY KEY,
    station_code      text NOT NULL,
    station_name      text,
    at_risk_days      integer,
    catalog_version   text,
    templates_version text,
    calendar_version  text,
    last_device_time  text,
    last_seq          bigint NOT NULL
);

-- Any authenticated request of a device (not only an upload) is contact:
-- a station with nothing to upload is still heard from (at most once a
-- minute recorded, see pg/devices.rs claim_nonce).
ALTER TABLE devices ADD COLUMN last_contact_at timestamptz;

-- Existing case rows lack the new facts: project every log again.
DELETE FROM cases;
DELETE FROM quarantine;
UPDATE devices SET projected_seq = 0;
