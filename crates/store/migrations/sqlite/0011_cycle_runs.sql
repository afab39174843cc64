-- Runs of the billing cycle and of the scheduler, shown among the jobs (`meter jobs`), and the
-- claims by which several workers share one cycle. Times are integer microseconds, UTC.
--
-- A run's id comes from the same numbering as the sync jobs' (the program gives both the next
-- id above every job and run), so that `meter jobs show ID` names one of them. One run of a
-- kind and date is `running` at a time: workers started together join it.
CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CONSTRAINT runs_kind CHECK (kind IN ('cycle', 'scheduler')),
    date        TEXT NOT NULL,
    state       TEXT NOT NULL CONSTRAINT runs_state CHECK (state IN ('running', 'done', 'failed')),
    total       INTEGER NOT NULL DEFAULT 0,
    done        INTEGER NOT NULL DEFAULT 0,
    invoiced    INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    held        INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    started_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    finished_at INTEGER,
    error       TEXT
);
CREATE UNIQUE INDEX runs_one_running ON runs (kind, date) WHERE state = 'running';

-- One row per customer due in a cycle run: `pending` until a worker claims it (`claimed`, with
-- the worker and the end of its lease), then what became of it. A claim whose lease ended
-- belongs to a worker presumed dead and is claimed again.
CREATE TABLE cycle_claims (
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    customer_pk INTEGER NOT NULL REFERENCES customers(pk),
    state       TEXT NOT NULL CONSTRAINT cycle_claims_state
                CHECK (state IN ('pending', 'claimed', 'invoiced', 'skipped', 'held', 'failed')),
    worker      TEXT,
    lease_until INTEGER,
    reason      TEXT,
    PRIMARY KEY (run_id, customer_pk)
) WITHOUT ROWID;

-- The scheduler: the last day it completed, and the lease of the one scheduler acting.
CREATE TABLE scheduler (
    id          INTEGER PRIMARY KEY CONSTRAINT scheduler_one CHECK (id = 1),
    last_day    TEXT,
    holder      TEXT,
    lease_until INTEGER
);
INSERT INTO scheduler (id) VALUES (1);
