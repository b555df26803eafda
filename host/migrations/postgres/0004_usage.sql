-- Usage records (SDRs) of pay-per-use instances. The seller's metering id is
-- the dedup key: a record sent twice is stored once.
CREATE TABLE usage_records (
    seller_id     TEXT NOT NULL,
    metering_id   TEXT NOT NULL,
    instance_id   TEXT NOT NULL,
    billing_item  TEXT NOT NULL,
    begin_ms      BIGINT NOT NULL,
    end_ms        BIGINT NOT NULL,
    value         TEXT NOT NULL,
    source        TEXT NOT NULL,
    received_at   BIGINT NOT NULL,
    PRIMARY KEY (seller_id, metering_id)
);

CREATE INDEX usage_records_by_instance ON usage_records (instance_id, end_ms);

-- How far each product's metering plugin has been asked for usage: windows
-- before `collected_until` are done.
CREATE TABLE metering_windows (
    product_id       TEXT PRIMARY KEY,
    collected_until  BIGINT NOT NULL,
    retry_at         BIGINT NOT NULL DEFAULT 0,
    updated_at       BIGINT NOT NULL
);
