-- The invoice's life (contract-cycle §4): drafts become final with a number from one gapless
-- sequence, final invoices never change and can only be voided, and every change of state is
-- recorded. Also the installation's settings, and customers' payment terms that may be left to
-- the installation's default. The same tables, constraints and triggers as on PostgreSQL.

-- A final invoice's number: `number_seq` from the counter `invoice_numbers` (advanced under the
-- write lock in the transaction that finalizes), `number` the prefix of the time and the
-- sequence, zero-padded. `issued` and `due` are the customer's dates; times are microseconds UTC.
ALTER TABLE invoices ADD COLUMN number_seq INTEGER;
ALTER TABLE invoices ADD COLUMN number TEXT;
ALTER TABLE invoices ADD COLUMN issued TEXT;
ALTER TABLE invoices ADD COLUMN due TEXT;
ALTER TABLE invoices ADD COLUMN finalized_at INTEGER;
ALTER TABLE invoices ADD COLUMN voided_at INTEGER;
-- A draft has none of these; a final invoice all of the number's and none of the void's; a
-- void one all of them.
ALTER TABLE invoices ADD COLUMN void_reason TEXT CONSTRAINT invoices_life CHECK (
    (status = 'draft') = (number_seq IS NULL) AND (number_seq IS NULL) = (number IS NULL)
    AND (number_seq IS NULL) = (issued IS NULL) AND (number_seq IS NULL) = (due IS NULL)
    AND (number_seq IS NULL) = (finalized_at IS NULL)
    AND (status = 'void') = (voided_at IS NOT NULL) AND (voided_at IS NULL) = (void_reason IS NULL));
-- A number is given once, ever: final and void invoices are never deleted.
CREATE UNIQUE INDEX invoices_number_seq_once ON invoices (number_seq);
CREATE UNIQUE INDEX invoices_number_once ON invoices (number);
INSERT INTO counters (name, next) VALUES ('invoice_numbers', 1);

-- A final invoice never changes: its header, lines, billed calls, subscription days and
-- allowance draws are kept as they are. Voiding it is the one change: its status, when and why;
-- then its calls, days and draws are released (deleted) as a deletion of a draft releases them.
-- A void invoice never changes again. The WHEN clauses read the invoice's status; a row whose
-- invoice is being deleted (a draft, with its rows) finds none and passes. Adding a column to
-- `invoices` means adding it to `invoices_final` below.
CREATE TRIGGER invoices_final BEFORE UPDATE ON invoices
WHEN OLD.status <> 'draft' AND NOT (
    OLD.status = 'final' AND NEW.status = 'void'
    AND NEW.pk IS OLD.pk AND NEW.customer_pk IS OLD.customer_pk AND NEW.from_date IS OLD.from_date
    AND NEW.to_date IS OLD.to_date AND NEW.call_types IS OLD.call_types AND NEW.kind IS OLD.kind
    AND NEW.currency IS OLD.currency AND NEW.total_e2 IS OLD.total_e2 AND NEW.warnings IS OLD.warnings
    AND NEW.created_at IS OLD.created_at AND NEW.calls_from IS OLD.calls_from
    AND NEW.number_seq IS OLD.number_seq AND NEW.number IS OLD.number AND NEW.issued IS OLD.issued
    AND NEW.due IS OLD.due AND NEW.finalized_at IS OLD.finalized_at)
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: a final or void invoice never changes (voiding a final invoice is the one change allowed)');
END;

CREATE TRIGGER invoices_void_final_only BEFORE UPDATE OF status ON invoices
WHEN OLD.status = 'draft' AND NEW.status = 'void'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: only a final invoice can be voided (a draft is deleted)');
END;

CREATE TRIGGER invoices_kept BEFORE DELETE ON invoices
WHEN OLD.status <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: a final or void invoice cannot be deleted');
END;

CREATE TRIGGER invoice_lines_insert_final BEFORE INSERT ON invoice_lines
WHEN (SELECT status FROM invoices WHERE pk = NEW.invoice_pk) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the lines of a final or void invoice never change');
END;

CREATE TRIGGER invoice_lines_update_final BEFORE UPDATE ON invoice_lines
WHEN (SELECT status FROM invoices WHERE pk = OLD.invoice_pk) <> 'draft'
  OR (SELECT status FROM invoices WHERE pk = NEW.invoice_pk) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the lines of a final or void invoice never change');
END;

CREATE TRIGGER invoice_lines_delete_final BEFORE DELETE ON invoice_lines
WHEN (SELECT status FROM invoices WHERE pk = OLD.invoice_pk) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the lines of a final or void invoice never change');
END;

-- Billed calls: not moved or changed once their invoice is final, and released only by voiding
-- it. (A link added to a final invoice is not refused row by row here, which would cost every
-- invoice creation a look-up per call: its usage lines would no longer add up, which `db check`
-- reports. PostgreSQL's statement trigger refuses it.)
CREATE TRIGGER billed_calls_update_final BEFORE UPDATE ON billed_calls
WHEN (SELECT status FROM invoices WHERE pk = OLD.invoice_pk) <> 'draft'
  OR (SELECT status FROM invoices WHERE pk = NEW.invoice_pk) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the billed calls of a final or void invoice never change');
END;

CREATE TRIGGER billed_calls_delete_final BEFORE DELETE ON billed_calls
WHEN (SELECT status FROM invoices WHERE pk = OLD.invoice_pk) = 'final'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the calls of a final invoice are released only by voiding it');
END;

CREATE TRIGGER billed_days_insert_final BEFORE INSERT ON billed_days
WHEN (SELECT status FROM invoices WHERE pk = NEW.invoice_pk) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the subscription days of a final or void invoice never change');
END;

CREATE TRIGGER billed_days_update_final BEFORE UPDATE ON billed_days
WHEN (SELECT status FROM invoices WHERE pk = OLD.invoice_pk) <> 'draft'
  OR (SELECT status FROM invoices WHERE pk = NEW.invoice_pk) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the subscription days of a final or void invoice never change');
END;

CREATE TRIGGER billed_days_delete_final BEFORE DELETE ON billed_days
WHEN (SELECT status FROM invoices WHERE pk = OLD.invoice_pk) = 'final'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the days of a final invoice are released only by voiding it');
END;

CREATE TRIGGER invoice_draws_insert_final BEFORE INSERT ON invoice_draws
WHEN (SELECT status FROM invoices WHERE pk = NEW.invoice_pk) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the allowance draws of a final or void invoice never change');
END;

CREATE TRIGGER invoice_draws_update_final BEFORE UPDATE ON invoice_draws
WHEN (SELECT status FROM invoices WHERE pk = OLD.invoice_pk) <> 'draft'
  OR (SELECT status FROM invoices WHERE pk = NEW.invoice_pk) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the allowance draws of a final or void invoice never change');
END;

CREATE TRIGGER invoice_draws_delete_final BEFORE DELETE ON invoice_draws
WHEN (SELECT status FROM invoices WHERE pk = OLD.invoice_pk) = 'final'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the draws of a final invoice are released only by voiding it');
END;

-- What happened to each invoice, in order: created, a line added or removed, finalized, voided;
-- by whom (the operator, or `cycle` / `scheduler`) and, for a void, why. Kept with the
-- invoice: only a draft's deletion takes its events with it.
CREATE TABLE invoice_events (
    invoice_pk INTEGER NOT NULL REFERENCES invoices(pk) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    at         INTEGER NOT NULL,
    what       TEXT NOT NULL CONSTRAINT invoice_events_what
               CHECK (what IN ('created', 'line_added', 'line_removed', 'finalized', 'voided')),
    actor      TEXT NOT NULL,
    detail     TEXT,
    PRIMARY KEY (invoice_pk, seq)
) WITHOUT ROWID;

CREATE TRIGGER invoice_events_update_final BEFORE UPDATE ON invoice_events
WHEN (SELECT status FROM invoices WHERE pk = OLD.invoice_pk) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the events of a final or void invoice are kept as they are');
END;

CREATE TRIGGER invoice_events_delete_final BEFORE DELETE ON invoice_events
WHEN (SELECT status FROM invoices WHERE pk = OLD.invoice_pk) <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'invoices_final: the events of a final or void invoice are kept as they are');
END;

-- The installation's settings (`meter settings set NAME VALUE`): text, or a file's bytes (the
-- logo, so that rendering needs no file later) with its name as the text.
CREATE TABLE settings (
    name       TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    data       BLOB,
    updated_at INTEGER NOT NULL
);

-- A customer's own payment terms, or NULL for the installation's default (the setting
-- `payment_terms`, else 30 days). Terms of 30 stored before could not tell a value given from
-- the default, and are taken as the default.
ALTER TABLE customers ADD COLUMN payment_terms_days INTEGER
    CONSTRAINT customers_payment_terms CHECK (payment_terms_days >= 0);
UPDATE customers SET payment_terms_days = nullif(payment_terms, 30);
ALTER TABLE customers DROP COLUMN payment_terms;
ALTER TABLE customers RENAME COLUMN payment_terms_days TO payment_terms;
