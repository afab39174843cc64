-- A stamp of the customers as a listing of calls reads them (their rows, plans and domains) and
-- of the sources, advanced by every change of them in the changing transaction, as the pricing
-- stamp is for what prices calls (0015): a server keeps the customers and sources it read while
-- the stamp stays the same, instead of reading them again for every page of calls.
INSERT INTO counters (name, next) VALUES ('customers', 1);
CREATE FUNCTION customers_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE counters SET next = next + 1 WHERE name = 'customers';
    RETURN NULL;
END $$;
CREATE TRIGGER customers_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customers
    FOR EACH STATEMENT EXECUTE FUNCTION customers_changed();
CREATE TRIGGER customer_plans_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer_plans
    FOR EACH STATEMENT EXECUTE FUNCTION customers_changed();
CREATE TRIGGER customer_domains_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON customer_domains
    FOR EACH STATEMENT EXECUTE FUNCTION customers_changed();
CREATE TRIGGER sources_stamp AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sources
    FOR EACH STATEMENT EXECUTE FUNCTION customers_changed();
