-- Named API tokens an account can list, add, let expire and revoke (issue
-- 13 §2). Each account's existing token becomes its token "default", so
-- every token issued before keeps working. A revoked token keeps its row
-- (revoked_at set) so the audit of who had which token survives.
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX tokens_account ON tokens (account_id, created_at);

INSERT INTO tokens (id, account_id, name, token_hash, created_at)
SELECT 'tok_' || substr(md5(random()::text || token_hash), 1, 16), account_id, 'default', token_hash, created_at
FROM api_tokens;

DROP TABLE api_tokens;
