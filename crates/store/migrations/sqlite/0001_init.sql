-- The billing data model: customers, plans, rates, call records, invoices, and what links them.
-- Money is stored as integers in the fixed scale named by the column suffix (rate_e8 = 10^-8).
-- Times are integer microseconds since the Unix epoch, UTC; period and invoice dates are the
-- customer's civil dates as 'YYYY-MM-DD'.

CREATE TABLE customers (
    pk                INTEGER PRIMARY KEY,
    id                TEXT NOT NULL CONSTRAINT customers_id_unique UNIQUE,
    name              TEXT NOT NULL,
    timezone          TEXT NOT NULL DEFAULT 'UTC',
    billing_day       INTEGER NOT NULL DEFAULT 1 CONSTRAINT customers_billing_day CHECK (billing_day BETWEEN 1 AND 31),
    currency          TEXT NOT NULL DEFAULT 'USD',
    netsapiens_domain TEXT,
    brightlink_domain TEXT,
    email             TEXT
);

CREATE TABLE plans (
    id TEXT PRIMARY KEY
);

-- One row per allowance, in the plan's file order.
CREATE TABLE allowances (
    plan_id          TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    call_types       TEXT NOT NULL,          -- codes separated by '|'
    included_minutes INTEGER NOT NULL CONSTRAINT allowances_minutes CHECK (included_minutes >= 0),
    description      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (plan_id, position)
);

-- A customer's plans in the order of customers.csv, which is the order allowances are drawn.
CREATE TABLE customer_plans (
    customer_pk INTEGER NOT NULL REFERENCES customers(pk) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    plan_id     TEXT NOT NULL REFERENCES plans(id),
    PRIMARY KEY (customer_pk, position),
    CONSTRAINT customer_plans_once UNIQUE (customer_pk, plan_id)
);

CREATE TABLE rates (
    id                   INTEGER PRIMARY KEY,
    call_type            TEXT NOT NULL,
    prefix               TEXT NOT NULL DEFAULT '',
    customer_pk          INTEGER REFERENCES customers(pk),
    effective_from       INTEGER,
    effective_to         INTEGER,
    rate_e8              INTEGER NOT NULL CONSTRAINT rates_rate CHECK (rate_e8 >= 0),
    connection_fee_e8    INTEGER NOT NULL DEFAULT 0 CONSTRAINT rates_fee CHECK (connection_fee_e8 >= 0),
    initial_increment    INTEGER NOT NULL DEFAULT 60 CONSTRAINT rates_initial CHECK (initial_increment >= 1),
    subsequent_increment INTEGER NOT NULL DEFAULT 60 CONSTRAINT rates_subsequent CHECK (subsequent_increment >= 1),
    description          TEXT NOT NULL DEFAULT '',
    CONSTRAINT rates_window CHECK (effective_from IS NULL OR effective_to IS NULL OR effective_from < effective_to)
);

-- Calls are clustered by customer and start time (the primary key), so that an invoice or a
-- listing reads one customer's range as neighbouring pages. `pk` is the call's own number,
-- handed out from `counters`.
-- source: 0 brightlink, 1 file, 2 netsapiens (the names' byte order, for the contract's tie-break).
-- direction: 0 inbound, 1 outbound, 2 internal.
-- call_type is the record's own type, NULL when the default classification applies.
-- customer_pk has no foreign key: a check per row costs a tenth of a bulk import, the import
-- resolves every customer inside its own write transaction, and customers are never deleted.
CREATE TABLE calls (
    customer_pk    INTEGER NOT NULL,
    start_us       INTEGER NOT NULL,
    pk             INTEGER NOT NULL,
    source         INTEGER NOT NULL,
    source_call_id TEXT NOT NULL,
    duration       INTEGER NOT NULL CONSTRAINT calls_duration CHECK (duration >= 0),
    direction      INTEGER NOT NULL,
    from_number    TEXT NOT NULL,
    to_number      TEXT NOT NULL,
    call_type      TEXT,
    PRIMARY KEY (customer_pk, start_us, pk)
) WITHOUT ROWID;
CREATE UNIQUE INDEX calls_source_id_unique ON calls (source, source_call_id);

-- Numbers handed out by the program itself (call numbers), read and advanced under the write lock.
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    next INTEGER NOT NULL
);
INSERT INTO counters (name, next) VALUES ('calls', 1);

CREATE TABLE invoices (
    pk          INTEGER PRIMARY KEY AUTOINCREMENT,   -- never reused: ids are handed out
    customer_pk INTEGER NOT NULL REFERENCES customers(pk),
    from_date   TEXT NOT NULL,
    to_date     TEXT NOT NULL,
    call_types  TEXT,                                -- the filter, '|'-separated; NULL = all
    kind        TEXT NOT NULL CONSTRAINT invoices_kind CHECK (kind IN ('manual', 'cycle')),
    status      TEXT NOT NULL DEFAULT 'draft' CONSTRAINT invoices_status CHECK (status IN ('draft', 'final', 'void')),
    currency    TEXT NOT NULL,
    total_e2    INTEGER NOT NULL,
    warnings    TEXT NOT NULL,                       -- JSON: unrated and already_billed at creation
    created_at  INTEGER NOT NULL
);
CREATE INDEX invoices_customer_range ON invoices (customer_pk, from_date, to_date);
-- At most one automatic invoice per customer and period.
CREATE UNIQUE INDEX invoices_cycle_once ON invoices (customer_pk, from_date, to_date) WHERE kind = 'cycle';

CREATE TABLE invoice_lines (
    invoice_pk       INTEGER NOT NULL REFERENCES invoices(pk) ON DELETE CASCADE,
    position         INTEGER NOT NULL,
    kind             TEXT NOT NULL,
    call_type        TEXT,
    description      TEXT NOT NULL DEFAULT '',
    calls            INTEGER NOT NULL DEFAULT 0,
    billable_seconds INTEGER NOT NULL DEFAULT 0,
    included_seconds INTEGER NOT NULL DEFAULT 0,
    charged_seconds  INTEGER NOT NULL DEFAULT 0,
    amount_e2        INTEGER NOT NULL,
    PRIMARY KEY (invoice_pk, position)
);

-- The link from a billed call to its invoice. Its primary key is the call's own key, with a
-- foreign key to it: the database's guarantee that a call is billed at most once, and that a
-- billed call cannot move to another customer or time. Deleting the invoice deletes the link
-- and so releases the call. Clustered like the calls, so billing a customer writes
-- neighbouring pages.
CREATE TABLE billed_calls (
    customer_pk      INTEGER NOT NULL,
    call_start_us    INTEGER NOT NULL,
    call_pk          INTEGER NOT NULL,
    invoice_pk       INTEGER NOT NULL REFERENCES invoices(pk) ON DELETE CASCADE,
    call_type        TEXT NOT NULL,
    rate_id          INTEGER NOT NULL,
    billable_seconds INTEGER NOT NULL,
    included_seconds INTEGER NOT NULL,
    charge_e4        INTEGER NOT NULL CONSTRAINT billed_calls_charge CHECK (charge_e4 >= 0),
    CONSTRAINT billed_calls_once PRIMARY KEY (customer_pk, call_start_us, call_pk),
    CONSTRAINT billed_calls_call FOREIGN KEY (customer_pk, call_start_us, call_pk)
        REFERENCES calls (customer_pk, start_us, pk),
    CONSTRAINT billed_calls_included CHECK (included_seconds BETWEEN 0 AND billable_seconds)
) WITHOUT ROWID;
CREATE INDEX billed_calls_invoice ON billed_calls (invoice_pk);

-- Seconds used per customer, allowance and billing period, by live invoices.
CREATE TABLE allowance_balances (
    customer_pk  INTEGER NOT NULL REFERENCES customers(pk),
    plan_id      TEXT NOT NULL,
    position     INTEGER NOT NULL,
    period_start TEXT NOT NULL,
    used_seconds INTEGER NOT NULL CONSTRAINT allowance_balances_used CHECK (used_seconds >= 0),
    PRIMARY KEY (customer_pk, plan_id, position, period_start)
);

-- What each invoice drew from each balance, so that deleting it gives the seconds back.
CREATE TABLE invoice_draws (
    invoice_pk   INTEGER NOT NULL REFERENCES invoices(pk) ON DELETE CASCADE,
    plan_id      TEXT NOT NULL,
    position     INTEGER NOT NULL,
    period_start TEXT NOT NULL,
    seconds      INTEGER NOT NULL CONSTRAINT invoice_draws_seconds CHECK (seconds > 0),
    PRIMARY KEY (invoice_pk, plan_id, position, period_start)
);
