-- 好差评 the applicant gives (issue 14). Before this, the clerk who served
-- the applicant picked the channel and the level in their own session, so
-- an "answered" row is the clerk's word, not the applicant's. Those rows
-- become status 'legacy' with channel 'clerk_legacy': kept and readable
-- (level, reasons, comment, time, the channel they named), counted as a
-- request that was made, never as an answer, a good rating or a default.
-- Pending and defaulted rows stay what they were; their channel moves to
-- legacy_channel (it named where a request was sent, not where an answer
-- came from). SQLite cannot change a CHECK, so the table is rebuilt.
CREATE TABLE evaluations_v2 (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL UNIQUE REFERENCES cases(id),
    status         TEXT NOT NULL
                   CHECK (status IN ('requested', 'answered', 'defaulted', 'unanswered', 'legacy')),
    -- The serving clerk who asked (NULL: a paper form with no request, or an old row).
    requested_by   INTEGER REFERENCES clerks(id),
    requested_at   TEXT,
    -- The screen the request was shown on, and when it becomes 默认.
    screen         TEXT,
    due_at         TEXT,
    -- Where the answer came from, and the screen that took it.
    channel        TEXT CHECK (channel IN ('applicant_screen', 'paper', 'clerk_legacy')),
    answered_on    TEXT,
    -- A paper form (流动测评): who entered it and its printed serial number.
    entered_by     INTEGER REFERENCES clerks(id),
    paper_serial   TEXT UNIQUE,
    -- The scale, level, label and good/bad as they were when answered.
    scale          TEXT,
    level          TEXT,
    level_zh       TEXT,
    good           INTEGER CHECK (good IN (0, 1)),
    reasons        TEXT NOT NULL DEFAULT '[]',
    comment        TEXT NOT NULL DEFAULT '',
    answered_at    TEXT,
    closed_at      TEXT,
    legacy_channel TEXT,
    CHECK (channel <> 'paper' OR (paper_serial IS NOT NULL AND entered_by IS NOT NULL))
);

INSERT INTO evaluations_v2 (id, case_id, status, requested_at, channel, scale, level, level_zh,
                            good, reasons, comment, answered_at, closed_at, legacy_channel)
SELECT id, case_id,
       CASE status WHEN 'answered' THEN 'legacy' ELSE status END,
       requested_at,
       CASE status WHEN 'answered' THEN 'clerk_legacy' END,
       CASE status WHEN 'answered' THEN '三级' END,
       level,
       CASE level WHEN 'satisfied' THEN '满意' WHEN 'basically_satisfied' THEN '基本满意'
                  WHEN 'dissatisfied' THEN '不满意' END,
       NULL,
       reasons, comment, answered_at, answered_at, channel
FROM evaluations;

DROP TABLE evaluations;
ALTER TABLE evaluations_v2 RENAME TO evaluations;
CREATE INDEX evaluations_requested_at ON evaluations(requested_at);
CREATE INDEX evaluations_pending ON evaluations(status) WHERE status = 'requested';
