-- Backups this station made, kept or failed (the window's backup status and
-- the schedule read it; each run is also an event).
CREATE TABLE backup_runs (
    id          INTEGER PRIMARY KEY,
    started_at  TEXT NOT NULL,
    finished_at TEXT NOT NULL,
    trigger     TEXT NOT NULL CHECK (trigger IN ('manual', 'scheduled')),
    actor       TEXT,
    folder      TEXT NOT NULL,
    file        TEXT,
    ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
    head_seq    INTEGER,
    size_bytes  INTEGER,
    sha256      TEXT,
    error       TEXT,
    error_zh    TEXT
);

-- A station restored from a backup of an enrolled station appends no event
-- until the county's copy of its log has been compared with its own: the
-- county may hold events written after the backup, and a new event at the
-- same seq would fork the log. One row while the check is outstanding.
CREATE TABLE restore_check (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    backup_file       TEXT NOT NULL,
    backup_created_at TEXT NOT NULL,
    backup_head_seq   INTEGER NOT NULL,
    backup_head_hash  TEXT NOT NULL,
    restored_at       TEXT NOT NULL,
    checked_at        TEXT,
    county_head_seq   INTEGER,
    finding           TEXT,
    finding_zh        TEXT
);
