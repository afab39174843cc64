-- The metered sources: the installation's settings per source, customers' phone numbers, and
-- sync jobs. Times are integer microseconds since the Unix epoch, UTC.

-- settings: JSON of what is not secret; secrets: encrypted by the program (the store never sees
-- them in clear).
CREATE TABLE source_settings (
    source     INTEGER PRIMARY KEY,
    settings   TEXT NOT NULL,
    secrets    BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE phone_numbers (
    customer_pk INTEGER NOT NULL REFERENCES customers(pk),
    source      INTEGER NOT NULL,
    number      TEXT NOT NULL,
    enabled     INTEGER NOT NULL,
    PRIMARY KEY (customer_pk, source, number)
) WITHOUT ROWID;

-- One row per sync of a customer's domain on a source for a window; progress and position are
-- written in the same transaction as the calls of each page, so a resumed job starts after the
-- last page that committed.
CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    customer_pk    INTEGER NOT NULL REFERENCES customers(pk),
    source         INTEGER NOT NULL,
    domain         TEXT NOT NULL,
    window_start   INTEGER NOT NULL,
    window_end     INTEGER NOT NULL,
    state          TEXT NOT NULL CONSTRAINT jobs_state CHECK (state IN ('running', 'done', 'failed')),
    position       TEXT NOT NULL,
    pages          INTEGER NOT NULL DEFAULT 0,
    received       INTEGER NOT NULL DEFAULT 0,
    imported       INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    duplicates     INTEGER NOT NULL DEFAULT 0,
    conflicts      INTEGER NOT NULL DEFAULT 0,
    skipped        INTEGER NOT NULL DEFAULT 0,
    repeated       INTEGER NOT NULL DEFAULT 0,
    errors         INTEGER NOT NULL DEFAULT 0,
    numbers        INTEGER,
    platform_count INTEGER,
    stored_count   INTEGER,
    started_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    error          TEXT,
    CONSTRAINT jobs_window CHECK (window_start < window_end)
);
CREATE INDEX jobs_customer ON jobs (customer_pk, source, id);
