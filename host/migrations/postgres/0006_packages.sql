-- Usage packages bought for a pay-per-use instance: a quota deducted before
-- usage is charged, per period when it resets, else for the whole term.
CREATE TABLE packages (
    id                  TEXT PRIMARY KEY,
    customer_id         TEXT NOT NULL,
    instance_id         TEXT NOT NULL,
    offer_id            TEXT NOT NULL,
    billing_item        TEXT NOT NULL,
    quota               TEXT NOT NULL,
    used                TEXT NOT NULL,
    period_index        BIGINT NOT NULL,
    period              TEXT NOT NULL,
    reset               BOOLEAN NOT NULL,
    stop_before_excess  BOOLEAN NOT NULL,
    price               TEXT NOT NULL,
    starts_at           BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    created_at          BIGINT NOT NULL
);
CREATE INDEX packages_by_instance ON packages (instance_id, expires_at);
CREATE INDEX packages_by_customer ON packages (customer_id, expires_at);
