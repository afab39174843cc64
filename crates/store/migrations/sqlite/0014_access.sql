-- Who may use the web app and the JSON API (issue 16): users with a role and an argon2id
-- password hash, their sign-in sessions, API tokens, and failed sign-ins (the rate limit).
-- Neither a session's cookie secret nor a token's secret is stored: only its SHA-256.

-- A person who signs in. Emails are kept in lower case by the program, and the index refuses a
-- second user whose email differs only in case. Users are disabled, never deleted.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL,
    role          TEXT NOT NULL CONSTRAINT users_role CHECK (role IN ('admin', 'billing', 'viewer')),
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0 CONSTRAINT users_disabled CHECK (disabled IN (0, 1))
);
CREATE UNIQUE INDEX users_email_once ON users (lower(email));

-- A signed-in browser: `id` is the SHA-256 of its cookie's secret. It ends at `expires_at`,
-- which each use moves on (idle limit) up to a limit from `created_at` (absolute limit).
CREATE TABLE sessions (
    id           BLOB PRIMARY KEY CONSTRAINT sessions_id CHECK (length(id) = 32),
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- A key to the JSON API with a role of its own, found by the SHA-256 of its secret. Revoked,
-- never deleted, so that its id is never given to another token.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    name        TEXT,
    role        TEXT NOT NULL CONSTRAINT api_tokens_role CHECK (role IN ('admin', 'billing', 'viewer')),
    secret_hash BLOB NOT NULL CONSTRAINT api_tokens_secret_once UNIQUE
                CONSTRAINT api_tokens_secret_hash CHECK (length(secret_hash) = 32),
    created_at  INTEGER NOT NULL,
    created_by  TEXT NOT NULL,
    revoked_at  INTEGER
);

-- Each failed (or still unfinished) attempt to sign in as an email, known as a user or not:
-- the rate limit counts those of the last minutes.
CREATE TABLE sign_in_failures (
    email TEXT NOT NULL,
    at    INTEGER NOT NULL
);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (at);
