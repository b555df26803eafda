-- Feed positions are taken from this one-row counter by the transaction that
-- writes the events (see host/src/store/feed.rs). SQLite serialises writers,
-- so it would not need it; it keeps one code path for both databases.
CREATE TABLE feed_position (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    next_seq  BIGINT NOT NULL
);
INSERT INTO feed_position (id, next_seq) SELECT 1, COALESCE(MAX(seq), 0) + 1 FROM instance_events;
