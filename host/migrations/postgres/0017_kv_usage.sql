-- What each plugin key-value namespace holds, kept by a trigger on every
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

CREATE FUNCTION plugin_kv_usage_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO plugin_kv_usage (namespace, keys, bytes)
            VALUES (NEW.namespace, 1, LENGTH(NEW.key) + LENGTH(NEW.value))
            ON CONFLICT (namespace) DO UPDATE
            SET keys = plugin_kv_usage.keys + 1, bytes = plugin_kv_usage.bytes + excluded.bytes;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE plugin_kv_usage SET bytes = bytes - LENGTH(OLD.key) - LENGTH(OLD.value)
            WHERE namespace = OLD.namespace;
        UPDATE plugin_kv_usage SET bytes = bytes + LENGTH(NEW.key) + LENGTH(NEW.value)
            WHERE namespace = NEW.namespace;
    ELSE
        UPDATE plugin_kv_usage SET keys = keys - 1, bytes = bytes - LENGTH(OLD.key) - LENGTH(OLD.value)
            WHERE namespace = OLD.namespace;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER plugin_kv_usage_track AFTER INSERT OR UPDATE OR DELETE ON plugin_kv
    FOR EACH ROW EXECUTE FUNCTION plugin_kv_usage_track();
