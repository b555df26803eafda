-- Accounts, plugin ownership, products and their release, orders, instances,
-- the lifecycle job queue and the sellers' change feed.
CREATE TABLE accounts (
    id          TEXT PRIMARY KEY,
    role        TEXT NOT NULL CHECK (role IN ('operator', 'seller', 'customer')),
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    created_at  BIGINT NOT NULL
);

CREATE TABLE seller_plugins (
    seller_id   TEXT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    sha256      TEXT NOT NULL REFERENCES plugin_versions (sha256),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (seller_id, name, version),
    UNIQUE (seller_id, sha256)
);

CREATE TABLE products (
    id            TEXT PRIMARY KEY,
    seller_id     TEXT NOT NULL REFERENCES accounts (id),
    status        TEXT NOT NULL,
    draft         TEXT NOT NULL,
    live          TEXT,
    live_version  INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
CREATE INDEX products_seller ON products (seller_id);

CREATE TABLE release_applications (
    id            TEXT PRIMARY KEY,
    product_id    TEXT NOT NULL REFERENCES products (id),
    seller_id     TEXT NOT NULL REFERENCES accounts (id),
    version       INTEGER NOT NULL,
    snapshot      TEXT NOT NULL,
    state         TEXT NOT NULL,
    reason        TEXT,
    submitted_at  BIGINT NOT NULL,
    decided_at    BIGINT,
    decided_by    TEXT
);
CREATE INDEX release_applications_product ON release_applications (product_id);
-- At most one pending application per product.
CREATE UNIQUE INDEX release_applications_one_pending
    ON release_applications (product_id) WHERE state = 'pending';

CREATE TABLE instances (
    id                  TEXT PRIMARY KEY,
    seller_id           TEXT NOT NULL REFERENCES accounts (id),
    customer_id         TEXT NOT NULL REFERENCES accounts (id),
    product_id          TEXT NOT NULL REFERENCES products (id),
    product_version     INTEGER NOT NULL,
    spec_id             TEXT NOT NULL,
    sku_id              TEXT NOT NULL,
    billing_mode        TEXT NOT NULL,
    quantity            INTEGER NOT NULL,
    trial               INTEGER NOT NULL,
    state               TEXT NOT NULL,
    freeze_reason       TEXT,
    expires_at          BIGINT,
    seller_instance_id  TEXT,
    app_info            BLOB,
    failure             TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL
);
CREATE INDEX instances_customer ON instances (customer_id);
CREATE INDEX instances_seller ON instances (seller_id);
CREATE INDEX instances_expiry ON instances (state, expires_at);

CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    customer_id      TEXT NOT NULL REFERENCES accounts (id),
    seller_id        TEXT NOT NULL REFERENCES accounts (id),
    instance_id      TEXT NOT NULL REFERENCES instances (id),
    kind             TEXT NOT NULL,
    state            TEXT NOT NULL,
    amount           TEXT NOT NULL,
    detail           TEXT NOT NULL,
    idempotency_key  TEXT,
    failure          TEXT,
    service_flow     TEXT,
    -- Set only where the specification limits purchases: a second order with
    -- the same key is refused by the database itself, whatever the race.
    purchase_key     TEXT UNIQUE,
    trial_key        TEXT UNIQUE,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    UNIQUE (customer_id, idempotency_key)
);
CREATE INDEX orders_instance ON orders (instance_id);
CREATE INDEX orders_seller ON orders (seller_id);

CREATE TABLE lifecycle_jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    instance_id   TEXT NOT NULL REFERENCES instances (id),
    order_id      TEXT,
    action        TEXT NOT NULL,
    logical_now   BIGINT NOT NULL,
    seed          BIGINT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_at       BIGINT NOT NULL,
    lease         TEXT,
    locked_until  BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT,
    created_at    BIGINT NOT NULL
);
CREATE INDEX lifecycle_jobs_instance ON lifecycle_jobs (instance_id, id);
CREATE INDEX lifecycle_jobs_ready ON lifecycle_jobs (next_at);

CREATE TABLE instance_events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    seller_id    TEXT NOT NULL,
    customer_id  TEXT NOT NULL,
    instance_id  TEXT NOT NULL,
    order_id     TEXT,
    kind         TEXT NOT NULL,
    detail       TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX instance_events_seller ON instance_events (seller_id, seq);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
