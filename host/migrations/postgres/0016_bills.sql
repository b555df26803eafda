-- Seller settlement (issue 15 §3, §5): on the 7th of each month one bill per
-- seller for the previous month, its lines by the §8.1 formula, generated in
-- one transaction with the marks on what it settled (`bill_id`), so a
-- bill exists once, complete, or not at all.
ALTER TABLE products ADD COLUMN platform_fee TEXT;
ALTER TABLE orders ADD COLUMN bill_id TEXT;
ALTER TABLE usage_charges ADD COLUMN bill_id TEXT;
ALTER TABLE packages ADD COLUMN bill_id TEXT;
CREATE INDEX orders_unbilled ON orders (seller_id, effective_at) WHERE bill_id IS NULL;
CREATE INDEX usage_charges_unbilled ON usage_charges (seller_id, cycle_end) WHERE bill_id IS NULL;

CREATE TABLE bills (
    seller_id     TEXT NOT NULL,
    period        TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('generated', 'sent', 'confirmed')),
    lines         BIGINT NOT NULL,
    sales         TEXT NOT NULL,
    taxes         TEXT NOT NULL,
    platform_fee  TEXT NOT NULL,
    settlement    TEXT NOT NULL,
    generated_at  BIGINT NOT NULL,
    sent_at       BIGINT,
    confirmed_at  BIGINT,
    PRIMARY KEY (seller_id, period)
);

CREATE TABLE bill_lines (
    seller_id       TEXT NOT NULL,
    period          TEXT NOT NULL,
    line            BIGINT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('order', 'usage-charge', 'package', 'refund', 'adjustment')),
    source_id       TEXT NOT NULL,
    product_id      TEXT,
    customer_id     TEXT,
    description     TEXT NOT NULL,
    transaction_at  BIGINT NOT NULL,
    effective_at    BIGINT NOT NULL,
    sales           TEXT NOT NULL,
    customer_wht    TEXT NOT NULL,
    customer_dst    TEXT NOT NULL,
    fee_percent     TEXT NOT NULL,
    platform_fee    TEXT NOT NULL,
    seller_wht      TEXT NOT NULL,
    seller_dst      TEXT NOT NULL,
    settlement      TEXT NOT NULL,
    PRIMARY KEY (seller_id, period, line)
);
-- Transaction details look a settled order or charge's line up by its id.
CREATE INDEX bill_lines_source ON bill_lines (source_id);

-- Operator adjustments (§8.2: "the amount difference will be adjusted in the
-- next settlement period"): a line on the seller's next bill.
CREATE TABLE bill_adjustments (
    id          TEXT PRIMARY KEY,
    seller_id   TEXT NOT NULL,
    amount      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    bill_id     TEXT
);
CREATE INDEX bill_adjustments_pending ON bill_adjustments (seller_id) WHERE bill_id IS NULL;
