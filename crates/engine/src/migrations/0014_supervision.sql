-- 挂牌督办: the county's flags on this station's cases, as the last sync
-- brought them (the county's list replaces this table; each change is an
-- event, so the county sees the flag arrive).
CREATE TABLE supervision (
    case_no       TEXT PRIMARY KEY,
    note          TEXT NOT NULL,
    flagged_at_ms INTEGER NOT NULL,
    received_at   TEXT NOT NULL
);

-- The software version this station last reported (a `station.software`
-- event when it changes), so the county's station health shows it.
CREATE TABLE software_version (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version TEXT NOT NULL
);
