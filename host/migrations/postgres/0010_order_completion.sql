-- A supervised order completes three hours after the customer accepts the
-- delivery (§6.2), not at the acceptance: the time it is due, which the
-- worker's sweep acts on.
ALTER TABLE orders ADD COLUMN completes_at BIGINT;
CREATE INDEX orders_due ON orders (state, completes_at);
