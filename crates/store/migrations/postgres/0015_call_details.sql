-- The Call Details (issue 16): pages of every customer's calls, in the listing's order, from a
-- cursor. The same index and stamp as on SQLite, and a trigram index of the numbers where the
-- server has pg_trgm.

-- The listing's order across customers: start, source, source call id (the order of source
-- codes; the store orders by name, which is the codes' order unless sources were added out of
-- it). A page seeks to its cursor in it and reads on. One customer's calls come from the calls'
-- key, which starts with the customer and the start.
CREATE INDEX calls_by_start ON calls (start_at, source, source_call_id);

-- A stamp of what prices calls (the rates, with their customers' ids, and the local calling
-- table), advanced by every change of them in the changing transaction: a server keeps the rate
-- index it built while the stamp it read stays the same, instead of reading the deck for every
-- page.
INSERT INTO counters (name, next) VALUES ('pricing', 1);
CREATE FUNCTION pricing_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE counters SET next = next + 1 WHERE name = 'pricing';
    RETURN NULL;
END $$;
CREATE TRIGGER rates_pricing AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rates
    FOR EACH STATEMENT EXECUTE FUNCTION pricing_changed();
CREATE TRIGGER local_calling_pricing AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON local_calling
    FOR EACH STATEMENT EXECUTE FUNCTION pricing_changed();
CREATE TRIGGER customers_pricing_id AFTER UPDATE OF id ON customers
    FOR EACH STATEMENT EXECUTE FUNCTION pricing_changed();
