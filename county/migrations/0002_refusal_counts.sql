-- Refusals aggregated: one row per device (or none), code and hour, with a
-- count, so that a flood of anonymous attempts adds a counter, not rows.
CREATE TABLE refusal_counts (
    device_id text NOT NULL DEFAULT '',
    code      text NOT NULL,
    hour      timestamptz NOT NULL,
    count     bigint NOT NULL DEFAULT 1,
    first_at  timestamptz NOT NULL DEFAULT now(),
    last_at   timestamptz NOT NULL DEFAULT now(),
    -- The latest detail (bounded by the server).
    detail    text NOT NULL,
    PRIMARY KEY (device_id, code, hour)
);
INSERT INTO refusal_counts (device_id, code, hour, count, first_at, last_at, detail)
    SELECT coalesce(device_id, ''), code, date_trunc('hour', at), count(*), min(at), max(at),
           left(max(detail), 200)
    FROM refusals GROUP BY 1, 2, 3;
DROP TABLE refusals;
