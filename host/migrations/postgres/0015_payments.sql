-- Paying for orders (issue 15): an order that costs money is paid from the
-- customer's balance in the transaction that accepts it; its payment state
-- follows refunds. `effective_at` is when what it bought takes effect (a
-- renewal: the old expiry).
ALTER TABLE orders ADD COLUMN payment TEXT NOT NULL DEFAULT 'none'
    CHECK (payment IN ('none', 'paid', 'partially-refunded', 'refunded'));
ALTER TABLE orders ADD COLUMN refunded TEXT NOT NULL DEFAULT '0.00';
ALTER TABLE orders ADD COLUMN effective_at BIGINT;
UPDATE orders SET effective_at = created_at;

-- The ledger: one append-only row per movement of a balance, with its
-- cause; a balance is the sum of its account's rows. Rows are only ever
-- inserted.
CREATE TABLE ledger (
    seq         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id  TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('opening', 'top-up', 'order-payment', 'usage-charge',
                                              'package', 'refund', 'settlement')),
    cause       TEXT NOT NULL,
    amount      TEXT NOT NULL,
    balance     TEXT NOT NULL,
    at          BIGINT NOT NULL
);
CREATE INDEX ledger_account ON ledger (account_id, seq);

-- Balances from before the ledger open it.
INSERT INTO ledger (account_id, kind, cause, amount, balance, at)
    SELECT customer_id, 'opening', 'balance before the ledger', amount, amount, updated_at FROM balances;
