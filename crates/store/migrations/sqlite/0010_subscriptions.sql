-- Subscriptions (recurring services billed in advance), the days their invoice lines bill, late
-- usage lines, and customers' payment terms.

-- Days from an invoice's issue to its due date (customers.csv `payment_terms`, 30 by default).
ALTER TABLE customers ADD COLUMN payment_terms INTEGER NOT NULL DEFAULT 30
    CONSTRAINT customers_payment_terms CHECK (payment_terms >= 0);

-- A recurring service of one customer, active from its first to its last day (inclusive, in the
-- customer's zone; no last day = open). Quantity and unit price in 10^-4.
CREATE TABLE subscriptions (
    pk            INTEGER PRIMARY KEY,
    id            TEXT NOT NULL CONSTRAINT subscriptions_id_unique UNIQUE,
    customer_pk   INTEGER NOT NULL REFERENCES customers(pk),
    start_date    TEXT NOT NULL,
    end_date      TEXT,
    description   TEXT NOT NULL,
    quantity_e4   INTEGER NOT NULL CONSTRAINT subscriptions_quantity CHECK (quantity_e4 > 0),
    unit_price_e4 INTEGER NOT NULL CONSTRAINT subscriptions_unit_price CHECK (unit_price_e4 >= 0),
    CONSTRAINT subscriptions_days CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX subscriptions_customer ON subscriptions (customer_pk, id);

-- The calling plans that come with a subscription, in its order.
CREATE TABLE subscription_plans (
    subscription_pk INTEGER NOT NULL REFERENCES subscriptions(pk) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    plan_id         TEXT NOT NULL REFERENCES plans(id),
    PRIMARY KEY (subscription_pk, position),
    CONSTRAINT subscription_plans_once UNIQUE (subscription_pk, plan_id)
);

-- A late usage line (calls of an earlier period) and a recurring line name the days they cover;
-- a recurring line its subscription, quantity and unit price at billing time.
ALTER TABLE invoice_lines ADD COLUMN late INTEGER NOT NULL DEFAULT 0;
ALTER TABLE invoice_lines ADD COLUMN from_date TEXT;
ALTER TABLE invoice_lines ADD COLUMN to_date TEXT;
ALTER TABLE invoice_lines ADD COLUMN subscription_pk INTEGER REFERENCES subscriptions(pk);
ALTER TABLE invoice_lines ADD COLUMN quantity_e4 INTEGER;
ALTER TABLE invoice_lines ADD COLUMN unit_price_e4 INTEGER;

-- The first day of the calls an invoice may bill, when it bills late calls from before its own
-- first day (NULL: its first day).
ALTER TABLE invoices ADD COLUMN calls_from TEXT;

-- Each day of a subscription billed by an invoice: its primary key is the database's guarantee
-- that a day is billed at most once; deleting the invoice releases its days.
CREATE TABLE billed_days (
    subscription_pk INTEGER NOT NULL REFERENCES subscriptions(pk),
    day             TEXT NOT NULL,
    invoice_pk      INTEGER NOT NULL REFERENCES invoices(pk) ON DELETE CASCADE,
    CONSTRAINT billed_days_once PRIMARY KEY (subscription_pk, day)
) WITHOUT ROWID;
CREATE INDEX billed_days_invoice ON billed_days (invoice_pk);

-- At most one live (not void) automatic invoice per customer and period.
DROP INDEX invoices_cycle_once;
CREATE UNIQUE INDEX invoices_cycle_once ON invoices (customer_pk, from_date, to_date)
    WHERE kind = 'cycle' AND status <> 'void';
