-- Pay-per-use charges: each closed billing cycle's usage of an instance is
-- rated into one charge (late records into another), paid from the
-- customer's balance or left unpaid, which puts the instance in arrears.
ALTER TABLE usage_records ADD COLUMN charge_id TEXT;
CREATE INDEX usage_records_unrated ON usage_records (end_ms) WHERE charge_id IS NULL;

CREATE TABLE usage_charges (
    id           TEXT PRIMARY KEY,
    instance_id  TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    seller_id    TEXT NOT NULL,
    cycle_start  BIGINT NOT NULL,
    cycle_end    BIGINT NOT NULL,
    usage        TEXT NOT NULL,
    billed_usage TEXT NOT NULL,
    amount       TEXT NOT NULL,
    quote        TEXT NOT NULL,
    state        TEXT NOT NULL CHECK (state IN ('paid', 'unpaid')),
    created_at   BIGINT NOT NULL,
    paid_at      BIGINT
);
CREATE INDEX usage_charges_by_instance ON usage_charges (instance_id, cycle_start);
CREATE INDEX usage_charges_unpaid ON usage_charges (customer_id, created_at) WHERE state = 'unpaid';

-- A customer's prepaid balance, a decimal string.
CREATE TABLE balances (
    customer_id  TEXT PRIMARY KEY,
    amount       TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);

-- Instances with unpaid charges, since when.
CREATE TABLE arrears (
    instance_id  TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    since        BIGINT NOT NULL
);

-- Top-ups already applied, by the customer's idempotency key.
CREATE TABLE balance_top_ups (
    customer_id      TEXT NOT NULL,
    idempotency_key  TEXT NOT NULL,
    amount           TEXT NOT NULL,
    at               BIGINT NOT NULL,
    PRIMARY KEY (customer_id, idempotency_key)
);
