-- Each re-verification of the stored chains (the console's 校验 or the
-- verify-chains command), one row per log: the 站点与设备 page shows the
-- last result without re-reading every event on each view.
CREATE TABLE chain_verifications (
    id          bigserial PRIMARY KEY,
    verified_at timestamptz NOT NULL DEFAULT now(),
    device_id   text NOT NULL,
    log_id      text NOT NULL,
    events      bigint NOT NULL,
    -- NULL when the chain verifies up to the recorded head.
    bad_seq     bigint,
    bad_reason  text,
    verified_by text NOT NULL
);
CREATE INDEX chain_verifications_device ON chain_verifications (device_id, id DESC);

-- Append-only, as the staff audit log: a verification is a record.
CREATE FUNCTION chain_verifications_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'chain_verifications is append-only';
END $$;
CREATE TRIGGER chain_verifications_no_change BEFORE UPDATE OR DELETE ON chain_verifications
    FOR EACH ROW EXECUTE FUNCTION chain_verifications_append_only();
CREATE TRIGGER chain_verifications_no_truncate BEFORE TRUNCATE ON chain_verifications
    FOR EACH STATEMENT EXECUTE FUNCTION chain_verifications_append_only();

