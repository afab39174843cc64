-- The invoice's life (contract-cycle §4): drafts become final with a number from one gapless
-- sequence, final invoices never change and can only be voided, and every change of state is
-- recorded. Also the installation's settings, and customers' payment terms that may be left to
-- the installation's default. The same tables, constraints and rules as on SQLite.

-- A final invoice's number: `number_seq` from the counter `invoice_numbers`, whose row the
-- finalizing transaction locks (UPDATE … RETURNING) until it commits, so that concurrent
-- finalizations take the numbers one after the other and a rolled-back one leaves no hole;
-- `number` the prefix of the time and the sequence, zero-padded. `issued` and `due` are the
-- customer's dates.
ALTER TABLE invoices ADD COLUMN number_seq bigint, ADD COLUMN number text COLLATE "C",
    ADD COLUMN issued date, ADD COLUMN due date, ADD COLUMN finalized_at timestamptz,
    ADD COLUMN voided_at timestamptz, ADD COLUMN void_reason text;
-- A draft has none of these; a final invoice all of the number's and none of the void's; a
-- void one all of them.
ALTER TABLE invoices ADD CONSTRAINT invoices_life CHECK (
    (status = 'draft') = (number_seq IS NULL) AND (number_seq IS NULL) = (number IS NULL)
    AND (number_seq IS NULL) = (issued IS NULL) AND (number_seq IS NULL) = (due IS NULL)
    AND (number_seq IS NULL) = (finalized_at IS NULL)
    AND (status = 'void') = (voided_at IS NOT NULL) AND (voided_at IS NULL) = (void_reason IS NULL));
-- A number is given once, ever: final and void invoices are never deleted.
CREATE UNIQUE INDEX invoices_number_seq_once ON invoices (number_seq);
CREATE UNIQUE INDEX invoices_number_once ON invoices (number);
INSERT INTO counters (name, next) VALUES ('invoice_numbers', 1);

-- A final invoice never changes: its header, lines, billed calls, subscription days and
-- allowance draws are kept as they are. Voiding it is the one change: its status, when and why
-- (every other column compared as the whole row, so a column added later is covered); then its
-- calls, days and draws are released (deleted) as a deletion of a draft releases them. A void
-- invoice never changes again.
CREATE FUNCTION invoices_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'invoices_final: a final or void invoice cannot be deleted'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status = 'draft' THEN
        IF NEW.status = 'void' THEN
            RAISE EXCEPTION 'invoices_final: only a final invoice can be voided (a draft is deleted)'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NEW;
    END IF;
    IF OLD.status = 'final' AND NEW.status = 'void'
       AND to_jsonb(NEW) - 'status' - 'voided_at' - 'void_reason' = to_jsonb(OLD) - 'status' - 'voided_at' - 'void_reason' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'invoices_final: a final or void invoice never changes (voiding a final invoice is the one change allowed)'
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER invoices_final BEFORE UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_final();

-- The rows that belong to an invoice: `what` names them in the error. TG_ARGV[0] is 'kept'
-- when they never change once the invoice is final or void (lines, events), or 'released' when
-- voiding deletes them (billed days, draws): those may be deleted once the invoice is void. A
-- row whose invoice is being deleted (a draft, with its rows) finds none and passes.
CREATE FUNCTION invoice_rows_final() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    state text;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT status INTO state FROM invoices WHERE pk = OLD.invoice_pk;
        IF state = 'final' AND TG_OP = 'DELETE' AND TG_ARGV[0] = 'released' THEN
            RAISE EXCEPTION 'invoices_final: the % of a final invoice are released only by voiding it', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF state = 'final' OR (state = 'void' AND (TG_OP = 'UPDATE' OR TG_ARGV[0] = 'kept')) THEN
            RAISE EXCEPTION 'invoices_final: the % of a final or void invoice never change', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT status INTO state FROM invoices WHERE pk = NEW.invoice_pk;
        IF state <> 'draft' AND NOT (TG_TABLE_NAME = 'invoice_events' AND TG_OP = 'INSERT') THEN
            RAISE EXCEPTION 'invoices_final: the % of a final or void invoice never change', TG_TABLE_NAME
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoice_lines_final BEFORE INSERT OR UPDATE OR DELETE ON invoice_lines
    FOR EACH ROW EXECUTE FUNCTION invoice_rows_final('kept');
CREATE TRIGGER billed_days_final BEFORE INSERT OR UPDATE OR DELETE ON billed_days
    FOR EACH ROW EXECUTE FUNCTION invoice_rows_final('released');
CREATE TRIGGER invoice_draws_final BEFORE INSERT OR UPDATE OR DELETE ON invoice_draws
    FOR EACH ROW EXECUTE FUNCTION invoice_rows_final('released');

-- Billed calls are written and released by the statement (tens of thousands at once): checked
-- once per statement. They never change (migration 0001); they are released only by deleting a
-- draft or voiding a final invoice.
CREATE FUNCTION billed_calls_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT invoice_pk FROM old_rows) o JOIN invoices i ON i.pk = o.invoice_pk
               WHERE i.status = 'final') THEN
        RAISE EXCEPTION 'invoices_final: the calls of a final invoice are released only by voiding it'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER billed_calls_delete AFTER DELETE ON billed_calls
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION billed_calls_final();

-- New billed calls must name an existing call, and an existing draft invoice of their customer
-- whose days (from the first day of the calls it may bill) and call numbers they lie in; each
-- invoice is looked up by its key (0012_billed_calls_invoice_by_key).
CREATE OR REPLACE FUNCTION billed_calls_refer() RETURNS trigger LANGUAGE plpgsql SET enable_nestloop = off AS $$
DECLARE
    span record;
    invoice_status text;
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT customer_pk, min(call_start_at) AS lo, max(call_start_at) AS hi, count(*) AS n
                              FROM new_rows GROUP BY customer_pk) r
               WHERE r.n <> (SELECT count(*) FROM calls c
                             JOIN new_rows m ON m.customer_pk = c.customer_pk AND m.call_start_at = c.start_at
                                            AND m.call_pk = c.pk
                             WHERE c.customer_pk = r.customer_pk AND c.start_at BETWEEN r.lo AND r.hi)) THEN
        RAISE EXCEPTION 'billed_calls_call: a billed call refers to no call' USING ERRCODE = 'foreign_key_violation';
    END IF;
    FOR span IN SELECT invoice_pk, customer_pk, min(call_start_at) AS lo, max(call_start_at) AS hi,
                       min(call_pk) AS first, max(call_pk) AS last
                FROM new_rows GROUP BY invoice_pk, customer_pk LOOP
        SELECT i.status INTO invoice_status FROM invoices i
        WHERE i.pk = span.invoice_pk AND i.customer_pk = span.customer_pk
          AND span.lo >= invoice_span_start(coalesce(i.calls_from, i.from_date))
          AND span.hi < invoice_span_end(i.to_date)
          AND span.first >= i.first_call_pk AND span.last <= i.last_call_pk;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'billed_calls_invoice: a billed call refers to no invoice of its customer, days and call numbers'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
        IF invoice_status <> 'draft' THEN
            RAISE EXCEPTION 'invoices_final: the calls of a final or void invoice never change'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- What happened to each invoice, in order: created, a line added or removed, finalized, voided;
-- by whom (the operator, or `cycle` / `scheduler`) and, for a void, why. Kept with the
-- invoice: only a draft's deletion takes its events with it.
CREATE TABLE invoice_events (
    invoice_pk bigint NOT NULL REFERENCES invoices(pk) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    at         timestamptz NOT NULL,
    what       text NOT NULL CONSTRAINT invoice_events_what
               CHECK (what IN ('created', 'line_added', 'line_removed', 'finalized', 'voided')),
    actor      text NOT NULL,
    detail     text,
    PRIMARY KEY (invoice_pk, seq)
);
CREATE TRIGGER invoice_events_final BEFORE INSERT OR UPDATE OR DELETE ON invoice_events
    FOR EACH ROW EXECUTE FUNCTION invoice_rows_final('kept');

-- The installation's settings (`meter settings set NAME VALUE`): text, or a file's bytes (the
-- logo, so that rendering needs no file later) with its name as the text.
CREATE TABLE settings (
    name       text COLLATE "C" PRIMARY KEY,
    value      text NOT NULL,
    data       bytea,
    updated_at timestamptz NOT NULL
);

-- A customer's own payment terms, or NULL for the installation's default (the setting
-- `payment_terms`, else 30 days). Terms of 30 stored before could not tell a value given from
-- the default, and are taken as the default.
ALTER TABLE customers ALTER COLUMN payment_terms DROP NOT NULL, ALTER COLUMN payment_terms DROP DEFAULT;
UPDATE customers SET payment_terms = NULL WHERE payment_terms = 30;
