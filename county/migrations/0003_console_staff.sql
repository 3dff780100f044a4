-- County staff of the oversight console (docs/design/county-console.md).
-- Roles are checked by the server's pure rules (console/rules.rs); the CHECK
-- keeps a hand-edited row from inventing one.
CREATE TABLE staff (
    id            bigserial PRIMARY KEY,
    login         text NOT NULL UNIQUE,
    name          text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'reviewer', 'approval_office', 'leader', 'complaints')),
    password_hash text NOT NULL,
    disabled      boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now()
);

-- Failed log-ins per login name, known or not: an unknown name is locked
-- like a real one, so lockout does not reveal which names exist.
CREATE TABLE staff_login_failures (
    login        text PRIMARY KEY,
    failures     integer NOT NULL DEFAULT 0,
    first_at_ms  bigint NOT NULL,
    locked_until_ms bigint NOT NULL DEFAULT 0
);

-- Sessions: only the SHA-256 of the cookie's token and of the CSRF token.
CREATE TABLE staff_sessions (
    token_hash   text PRIMARY KEY,
    csrf_hash    text NOT NULL,
    staff_id     bigint NOT NULL REFERENCES staff (id),
    created_ms   bigint NOT NULL,
    last_seen_ms bigint NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

-- Every staff action, append-only (the triggers refuse UPDATE, DELETE and
-- TRUNCATE, as the station's event log does).
CREATE TABLE staff_audit (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL DEFAULT now(),
    staff_id   bigint,
    login      text NOT NULL,
    action     text NOT NULL,
    detail     text NOT NULL DEFAULT '',
    address    text NOT NULL DEFAULT ''
);
CREATE FUNCTION staff_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'staff_audit is append-only';
END $$;
CREATE TRIGGER staff_audit_no_update BEFORE UPDATE OR DELETE ON staff_audit
    FOR EACH ROW EXECUTE FUNCTION staff_audit_append_only();
CREATE TRIGGER staff_audit_no_truncate BEFORE TRUNCATE ON staff_audit
    FOR EACH STATEMENT EXECUTE FUNCTION staff_audit_append_only();
