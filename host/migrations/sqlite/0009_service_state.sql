-- Facts about the service itself that every node must agree on and that
-- outlive a restart: the simulated clock's offset (which only moves
-- forward) and the fingerprint of the key that seals secrets at rest.
CREATE TABLE service_state (
    name TEXT PRIMARY KEY,
    int_value BIGINT,
    text_value TEXT
);
