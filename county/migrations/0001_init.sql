-- Stations' devices. head_* is where the county's copy of the device's log
-- ends; it is only ever advanced inside the upload transaction.
CREATE TABLE devices (
    device_id      text PRIMARY KEY,
    station_code   text NOT NULL,
    label          text NOT NULL DEFAULT '',
    algorithm      text NOT NULL,
    public_key     text NOT NULL,
    enrolled_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at     timestamptz,
    log_id         text UNIQUE,
    head_seq       bigint NOT NULL DEFAULT 0,
    head_hash      text NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
    projected_seq  bigint NOT NULL DEFAULT 0,
    last_upload_at timestamptz
);

CREATE TABLE enrol_codes (
    code_hash    text PRIMARY KEY,
    station_code text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz,
    used_by      text
);

-- The events exactly as the station stored them (payload as its bytes).
CREATE TABLE events (
    log_id         text NOT NULL,
    seq            bigint NOT NULL,
    event_id       text NOT NULL,
    kind           text NOT NULL,
    schema_version integer NOT NULL,
    device_time    text NOT NULL,
    payload        bytea NOT NULL,
    prev_hash      text NOT NULL,
    hash           text NOT NULL,
    device_id      text NOT NULL REFERENCES devices (device_id),
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (log_id, seq)
);

CREATE TABLE nonces (
    device_id text NOT NULL,
    nonce     text NOT NULL,
    seen_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (device_id, nonce)
);
CREATE INDEX nonces_seen_at ON nonces (seen_at);

-- Stored events that business validation refused; kept out of projections.
CREATE TABLE quarantine (
    log_id         text NOT NULL,
    seq            bigint NOT NULL,
    kind           text NOT NULL,
    reason         text NOT NULL,
    quarantined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (log_id, seq)
);

-- Projection of case.* events: the latest state of each case.
CREATE TABLE cases (
    log_id           text NOT NULL,
    case_no          text NOT NULL,
    station_code     text NOT NULL,
    state            text NOT NULL,
    item_code        text,
    actor            text,
    last_kind        text NOT NULL,
    last_seq         bigint NOT NULL,
    last_event_id    text NOT NULL,
    last_device_time text NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (log_id, case_no)
);

-- 否定备案 register: cases whose latest state is `rejected`.
CREATE VIEW rejection_register AS
    SELECT station_code, log_id, case_no, item_code, actor, last_kind,
           last_device_time AS rejected_at_device_time, updated_at
    FROM cases WHERE state = 'rejected';

CREATE TABLE releases (
    kind         text NOT NULL,
    version_no   bigint NOT NULL,
    version      text NOT NULL,
    sha256       text NOT NULL,
    size         bigint NOT NULL,
    algorithm    text NOT NULL,
    signature    text NOT NULL,
    content      bytea NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, version_no),
    UNIQUE (kind, version)
);

CREATE TABLE county_keys (
    name       text PRIMARY KEY,
    algorithm  text NOT NULL,
    secret_hex text NOT NULL,
    public_hex text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Refused requests (unknown, revoked or mismatched device), for the admin.
CREATE TABLE refusals (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    device_id text,
    code      text NOT NULL,
    detail    text NOT NULL
);
