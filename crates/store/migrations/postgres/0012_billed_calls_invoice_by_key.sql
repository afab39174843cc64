-- The check that new billed calls name an invoice of their customer, days and call numbers looks
-- each invoice up by its key. It was a join, and the function's `enable_nestloop = off` (there
-- for the check against calls, a join of thousands of rows) made it a hash join over every
-- invoice of the database: a cost per invoice that grew with the table. A cycle of 100,000
-- customers of 100 calls each read the whole of `invoices` for every customer.
CREATE OR REPLACE FUNCTION billed_calls_refer() RETURNS trigger LANGUAGE plpgsql SET enable_nestloop = off AS $$
DECLARE
    span record;
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
        IF NOT EXISTS (SELECT 1 FROM invoices i
                       WHERE i.pk = span.invoice_pk AND i.customer_pk = span.customer_pk
                         AND span.lo >= invoice_span_start(coalesce(i.calls_from, i.from_date))
                         AND span.hi < invoice_span_end(i.to_date)
                         AND span.first >= i.first_call_pk AND span.last <= i.last_call_pk) THEN
            RAISE EXCEPTION 'billed_calls_invoice: a billed call refers to no invoice of its customer, days and call numbers'
                USING ERRCODE = 'foreign_key_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END $$;
