-- A usage record may name the package it is to be deducted from (seller
-- guide §3.5.4.2: "call the SDR report interface to specify a package").
ALTER TABLE usage_records ADD COLUMN package_id TEXT;
