-- Cases (recorded plugin calls), the review of release applications, and
-- the registry of platform rule plugins with its activation history.
CREATE TABLE plugin_cases (
    id          TEXT PRIMARY KEY,
    seller_id   TEXT NOT NULL REFERENCES accounts (id),
    plugin      TEXT NOT NULL,
    name        TEXT,
    world       TEXT NOT NULL,
    function    TEXT NOT NULL,
    scenario    TEXT NOT NULL,
    -- Whether the recorded output is a success ({"ok": ...}).
    succeeded   BOOLEAN NOT NULL,
    -- The whole case document (JSON), as exported.
    document    TEXT NOT NULL,
    -- Content hash: importing the same case again finds this row.
    digest      TEXT NOT NULL,
    origin      TEXT,
    created_at  BIGINT NOT NULL,
    UNIQUE (seller_id, digest)
);
CREATE INDEX plugin_cases_plugin ON plugin_cases (plugin, seller_id);

CREATE TABLE application_reviews (
    application_id  TEXT PRIMARY KEY REFERENCES release_applications (id),
    blockers        BIGINT NOT NULL,
    failing_cases   BIGINT NOT NULL,
    -- Findings, case results and the rules used (JSON).
    report          TEXT NOT NULL,
    reviewed_at     BIGINT NOT NULL
);

CREATE TABLE rule_activations (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind          TEXT NOT NULL CHECK (kind IN ('review', 'pricing')),
    name          TEXT NOT NULL,
    -- NULL deactivates the rule.
    plugin        TEXT,
    activated_by  TEXT NOT NULL REFERENCES accounts (id),
    activated_at  BIGINT NOT NULL
);
CREATE INDEX rule_activations_name ON rule_activations (kind, name, id);
