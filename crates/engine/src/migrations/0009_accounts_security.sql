-- Accounts an administrator manages, password lockout, the counter's idle
-- lock, and the record of who revealed a person's full ID number.

ALTER TABLE clerks ADD COLUMN window_no TEXT NOT NULL DEFAULT '';
ALTER TABLE clerks ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE clerks ADD COLUMN disabled_reason TEXT;
ALTER TABLE clerks ADD COLUMN last_login_at TEXT;

-- Consecutive wrong passwords per staff number and purpose ('login',
-- 'approval'). Unknown staff numbers are counted too, so a locked answer
-- tells nothing about which numbers exist.
CREATE TABLE auth_failures (
    staff_no     TEXT NOT NULL,
    purpose      TEXT NOT NULL CHECK (purpose IN ('login', 'approval')),
    failures     INTEGER NOT NULL,
    last_at      TEXT NOT NULL,
    locked_until TEXT,
    PRIMARY KEY (staff_no, purpose)
);

-- The counter session: last activity (idle lock) and an explicit lock.
ALTER TABLE counter_session ADD COLUMN last_active TEXT;
ALTER TABLE counter_session ADD COLUMN locked INTEGER NOT NULL DEFAULT 0;

-- Who revealed which case's full ID number, when (the event is the record
-- that syncs; this table serves the per-case list).
CREATE TABLE id_reveals (
    id         INTEGER PRIMARY KEY,
    case_no    TEXT NOT NULL,
    staff_no   TEXT NOT NULL,
    clerk_name TEXT NOT NULL,
    at         TEXT NOT NULL,
    seq        INTEGER NOT NULL
);
CREATE INDEX id_reveals_case ON id_reveals (case_no, at);
