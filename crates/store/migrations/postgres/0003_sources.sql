-- The metered sources: the installation's settings per source, customers' phone numbers, and
-- sync jobs.

-- settings: JSON of what is not secret; secrets: encrypted by the program (the store never sees
-- them in clear).
CREATE TABLE source_settings (
    source     smallint PRIMARY KEY,
    settings   text NOT NULL,
    secrets    bytea NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE phone_numbers (
    customer_pk bigint NOT NULL REFERENCES customers(pk),
    source      smallint NOT NULL,
    number      text COLLATE "C" NOT NULL,
    enabled     boolean NOT NULL,
    PRIMARY KEY (customer_pk, source, number)
);

-- One row per sync of a customer's domain on a source for a window; progress and position are
-- written in the same transaction as the calls of each page, so a resumed job starts after the
-- last page that committed.
CREATE TABLE jobs (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_pk    bigint NOT NULL REFERENCES customers(pk),
    source         smallint NOT NULL,
    domain         text NOT NULL,
    window_start   timestamptz NOT NULL,
    window_end     timestamptz NOT NULL,
    state          text NOT NULL CONSTRAINT jobs_state CHECK (state IN ('running', 'done', 'failed')),
    position       text NOT NULL,
    pages          bigint NOT NULL DEFAULT 0,
    received       bigint NOT NULL DEFAULT 0,
    imported       bigint NOT NULL DEFAULT 0,
    updated        bigint NOT NULL DEFAULT 0,
    duplicates     bigint NOT NULL DEFAULT 0,
    conflicts      bigint NOT NULL DEFAULT 0,
    skipped        bigint NOT NULL DEFAULT 0,
    repeated       bigint NOT NULL DEFAULT 0,
    errors         bigint NOT NULL DEFAULT 0,
    numbers        bigint,
    platform_count bigint,
    stored_count   bigint,
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    error          text,
    CONSTRAINT jobs_window CHECK (window_start < window_end)
);
CREATE INDEX jobs_customer ON jobs (customer_pk, source, id);
