-- Plugin versions, content-addressed, and their key-value state.
-- Keys use the C collation so that ordering (and prefix scans) is byte order,
-- as the WIT promises and as SQLite does.
CREATE TABLE plugin_versions (
    sha256      TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    worlds      TEXT NOT NULL,
    component   BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE plugin_kv (
    namespace   TEXT NOT NULL,
    key         TEXT COLLATE "C" NOT NULL,
    value       BYTEA NOT NULL,
    PRIMARY KEY (namespace, key)
);
