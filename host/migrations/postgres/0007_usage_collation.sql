-- Usage keys are opaque identifiers: compare them byte by byte. Under the
-- database's default libc collation (C.UTF-8 is not recognised as "C" before
-- PostgreSQL 17) every index probe of an ingested batch went through strcoll;
-- with "C" collation the three indexes on this table compare with memcmp
-- (BENCHMARKS §8). No query joins these columns to another table's, so no
-- comparison mixes collations. Ordering by metering id now matches SQLite's.
ALTER TABLE usage_records
    ALTER COLUMN seller_id    TYPE TEXT COLLATE "C",
    ALTER COLUMN metering_id  TYPE TEXT COLLATE "C",
    ALTER COLUMN instance_id  TYPE TEXT COLLATE "C",
    ALTER COLUMN billing_item TYPE TEXT COLLATE "C";
