-- What a seller sees of their metering plugin's collection: how many calls
-- in a row failed (the retry delay doubles with each, up to an hour) and why
-- the last one did.
ALTER TABLE metering_windows ADD COLUMN failures BIGINT NOT NULL DEFAULT 0;
ALTER TABLE metering_windows ADD COLUMN last_error TEXT;
