-- Settlement tax rules (WIT 0.2.0): a third kind of platform rule, and an
-- account's country (ISO 3166-1 alpha-2), which tax rules read: withholding
-- and digital services taxes depend on it (seller guide §8.1).
ALTER TABLE accounts ADD COLUMN country TEXT;

-- SQLite cannot change a CHECK constraint: the table is rebuilt.
CREATE TABLE rule_activations_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT NOT NULL CHECK (kind IN ('review', 'pricing', 'settlement')),
    name          TEXT NOT NULL,
    -- NULL deactivates the rule.
    plugin        TEXT,
    activated_by  TEXT NOT NULL REFERENCES accounts (id),
    activated_at  BIGINT NOT NULL
);
INSERT INTO rule_activations_new (id, kind, name, plugin, activated_by, activated_at)
    SELECT id, kind, name, plugin, activated_by, activated_at FROM rule_activations;
DROP TABLE rule_activations;
ALTER TABLE rule_activations_new RENAME TO rule_activations;
CREATE INDEX rule_activations_name ON rule_activations (kind, name, id);
