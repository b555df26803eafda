-- What each plugin key-value namespace holds, kept by triggers on every
-- write to plugin_kv, so a plugin call's quota check reads one row instead
-- of summing the whole namespace (which made each call cost O(keys) and a
-- product's orders O(n²) in all).
CREATE TABLE plugin_kv_usage (
    namespace  TEXT PRIMARY KEY,
    keys       BIGINT NOT NULL,
    bytes      BIGINT NOT NULL
);
INSERT INTO plugin_kv_usage (namespace, keys, bytes)
    SELECT namespace, COUNT(*), SUM(LENGTH(key) + LENGTH(value)) FROM plugin_kv GROUP BY namespace;

CREATE TRIGGER plugin_kv_usage_insert AFTER INSERT ON plugin_kv BEGIN
    INSERT INTO plugin_kv_usage (namespace, keys, bytes)
        VALUES (NEW.namespace, 1, LENGTH(NEW.key) + LENGTH(NEW.value))
        ON CONFLICT (namespace) DO UPDATE SET keys = keys + 1, bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER plugin_kv_usage_update AFTER UPDATE ON plugin_kv BEGIN
    UPDATE plugin_kv_usage SET bytes = bytes - LENGTH(OLD.key) - LENGTH(OLD.value)
        WHERE namespace = OLD.namespace;
    UPDATE plugin_kv_usage SET bytes = bytes + LENGTH(NEW.key) + LENGTH(NEW.value)
        WHERE namespace = NEW.namespace;
END;
CREATE TRIGGER plugin_kv_usage_delete AFTER DELETE ON plugin_kv BEGIN
    UPDATE plugin_kv_usage SET keys = keys - 1, bytes = bytes - LENGTH(OLD.key) - LENGTH(OLD.value)
        WHERE namespace = OLD.namespace;
END;
