-- Runs of the billing cycle and of the scheduler, shown among the jobs (`meter jobs`), and the
-- claims by which several workers share one cycle.
--
-- A run's id comes from the sync jobs' own sequence, so that `meter jobs show ID` names one of
-- them. One run of a kind and date is `running` at a time: workers started together join it.
CREATE TABLE runs (
    id          bigint PRIMARY KEY DEFAULT nextval(pg_get_serial_sequence('jobs', 'id')),
    kind        text COLLATE "C" NOT NULL CONSTRAINT runs_kind CHECK (kind IN ('cycle', 'scheduler')),
    date        date NOT NULL,
    state       text NOT NULL CONSTRAINT runs_state CHECK (state IN ('running', 'done', 'failed')),
    total       bigint NOT NULL DEFAULT 0,
    done        bigint NOT NULL DEFAULT 0,
    invoiced    bigint NOT NULL DEFAULT 0,
    skipped     bigint NOT NULL DEFAULT 0,
    held        bigint NOT NULL DEFAULT 0,
    failed      bigint NOT NULL DEFAULT 0,
    started_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    finished_at timestamptz,
    error       text
);
CREATE UNIQUE INDEX runs_one_running ON runs (kind, date) WHERE state = 'running';

-- One row per customer due in a cycle run: `pending` until a worker claims it (`claimed`, with
-- the worker and the end of its lease, by the server's clock), then what became of it. Workers
-- claim with FOR UPDATE SKIP LOCKED; a claim whose lease ended belongs to a worker presumed dead
-- and is claimed again.
CREATE TABLE cycle_claims (
    run_id      bigint NOT NULL REFERENCES runs(id),
    customer_pk bigint NOT NULL REFERENCES customers(pk),
    state       text NOT NULL CONSTRAINT cycle_claims_state
                CHECK (state IN ('pending', 'claimed', 'invoiced', 'skipped', 'held', 'failed')),
    worker      text,
    lease_until timestamptz,
    reason      text,
    PRIMARY KEY (run_id, customer_pk)
);

-- The scheduler: the last day it completed, and the lease of the one scheduler acting.
CREATE TABLE scheduler (
    id          integer PRIMARY KEY CONSTRAINT scheduler_one CHECK (id = 1),
    last_day    date,
    holder      text,
    lease_until timestamptz
);
INSERT INTO scheduler (id) VALUES (1);
