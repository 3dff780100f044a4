-- What a station still holds unsent (docs/design/sync-protocol.md §5): each
-- upload says where the station's own log ended when it was sent; the
-- console shows the difference from the county's head as of that upload.
-- NULL until the station's first upload that says it (older stations never do).
ALTER TABLE devices
    ADD COLUMN station_head_seq bigint,
    ADD COLUMN station_head_at  timestamptz;
