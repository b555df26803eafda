-- Plugin versions, content-addressed, and their key-value state.
CREATE TABLE plugin_versions (
    sha256      TEXT PRIMARY KEY,
    size        BIGINT NOT NULL,
    worlds      TEXT NOT NULL,
    component   BLOB NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE plugin_kv (
    namespace   TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       BLOB NOT NULL,
    PRIMARY KEY (namespace, key)
);
