-- 挂牌督办: the county's flags on this station's cases, as the last sync
-- brought them (the county's list replaces this table; each change is an
-- event, so the county sees the flag arrive).
CREATE TABLE supervision (
    case_no       TEXT PRIMARY KEY,
    note          TEXT NOT NULL,
    flagged_at_ms INTEGER NOT NULL,
    received_at   TEXT NOT NULL
);
