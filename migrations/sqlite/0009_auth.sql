-- Logins, sessions, API tokens and the audit log (issue #15). Secrets are never stored: a
-- password as its argon2id hash (PHC string), a session id and a token secret as the SHA-256
-- of the random value handed out (hex), which is all a lookup needs.

CREATE TABLE auth_users (
    name                TEXT PRIMARY KEY,
    role                TEXT NOT NULL,
    password_hash       TEXT NOT NULL,
    created_ms          BIGINT NOT NULL,
    password_changed_ms BIGINT NOT NULL
);

-- A session ends at the first of: idle_until_ms (pushed on by each use, never past
-- expires_ms), expires_ms (absolute), logout, or a change of the user's password.
CREATE TABLE auth_sessions (
    id_hash       TEXT PRIMARY KEY,
    user_name     TEXT NOT NULL REFERENCES auth_users (name) ON DELETE CASCADE,
    created_ms    BIGINT NOT NULL,
    last_seen_ms  BIGINT NOT NULL,
    idle_until_ms BIGINT NOT NULL,
    expires_ms    BIGINT NOT NULL
);
CREATE INDEX auth_sessions_user ON auth_sessions (user_name);

-- scopes: comma-separated words (read, ingest, admin).
CREATE TABLE auth_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    scopes       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_by   TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    expires_ms   BIGINT,
    last_used_ms BIGINT,
    revoked_ms   BIGINT
);

-- Who did what, when, from where: logins and their failures, user and token changes,
-- acknowledgements, silences, host keys accepted.
CREATE TABLE auth_audit (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms     BIGINT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT,
    source    TEXT,
    detail    TEXT
);
CREATE INDEX auth_audit_at ON auth_audit (at_ms);
