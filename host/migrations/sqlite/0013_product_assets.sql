-- Files of a product listing (its logo, its EULA), kept by content so an
-- application's snapshot keeps naming the file it was submitted with.
CREATE TABLE product_assets (
    product_id TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    content_type TEXT NOT NULL,
    body BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (product_id, sha256)
);
