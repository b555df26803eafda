-- The audit log (issue 14 §7): one row per state-changing request, written
-- by the API's audit middleware after the answer's status is known. Rows are
-- only inserted, never updated or deleted by the service. No request body,
-- token or configuration value is kept: who (account and role, or
-- `anonymous`), what (method, route template, path parameters, action),
-- when (service and wall clock), from where, and the answer.
CREATE TABLE audit (
    id          TEXT PRIMARY KEY,
    at_ms       BIGINT NOT NULL,
    wall_ms     BIGINT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_role  TEXT NOT NULL,
    method      TEXT NOT NULL,
    route       TEXT NOT NULL,
    resource    TEXT,
    action      TEXT NOT NULL,
    status      INTEGER NOT NULL,
    error       TEXT,
    client      TEXT,
    request_id  TEXT
);
-- Pages read newest first; most filters name the actor or the resource.
CREATE INDEX audit_time ON audit (at_ms, id);
CREATE INDEX audit_actor ON audit (actor_id, at_ms, id);
CREATE INDEX audit_resource ON audit (resource, at_ms, id);
