-- 发布 in the console (docs/design/county-console.md): a release file an
-- administrator uploaded, checked by the stations' own rules, waiting to be
-- signed and published (from the console, or `publish --staged ID` on the
-- signing host). A file that failed the check is kept with its problem, for
-- the record, and can never be published.
CREATE TABLE release_uploads (
    id                bigserial PRIMARY KEY,
    kind              text NOT NULL,
    file_name         text NOT NULL,
    sha256            text NOT NULL,
    size              bigint NOT NULL,
    content           bytea NOT NULL,
    -- NULL: passed the check; else the Chinese sentence naming the problem.
    problem_zh        text,
    -- The newest release of the kind it was compared with (NULL: none).
    against_version   text,
    staff_id          bigint REFERENCES staff (id),
    login             text NOT NULL,
    uploaded_at       timestamptz NOT NULL DEFAULT now(),
    published_version text,
    published_at      timestamptz,
    CHECK (published_version IS NULL OR problem_zh IS NULL)
);
CREATE INDEX release_uploads_newest ON release_uploads (id DESC);
