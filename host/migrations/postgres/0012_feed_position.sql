-- Feed positions are taken from this one-row counter by the transaction that
-- writes the events, not from an identity column: the counter's row lock is
-- held until that transaction commits, so positions become visible in order
-- and a reader paging with `seq > after` never passes one still in flight
-- (see host/src/store/feed.rs).
CREATE TABLE feed_position (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    next_seq  BIGINT NOT NULL
);
INSERT INTO feed_position (id, next_seq) SELECT 1, COALESCE(MAX(seq), 0) + 1 FROM instance_events;
-- A writer that forgot the counter fails on the missing `seq` instead of
-- drawing a position that could skip.
ALTER TABLE instance_events ALTER COLUMN seq DROP IDENTITY;
