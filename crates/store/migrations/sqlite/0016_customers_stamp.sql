-- A stamp of the customers as a listing of calls reads them (their rows, plans and domains) and
-- of the sources, advanced by every change of them in the changing transaction, as the pricing
-- stamp is for what prices calls (0015): a server keeps the customers and sources it read while
-- the stamp stays the same, instead of reading them again for every page of calls.
INSERT INTO counters (name, next) VALUES ('customers', 1);
CREATE TRIGGER customers_stamp_insert AFTER INSERT ON customers
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
CREATE TRIGGER customers_stamp_update AFTER UPDATE ON customers
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
CREATE TRIGGER customers_stamp_delete AFTER DELETE ON customers
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
CREATE TRIGGER customer_plans_stamp_insert AFTER INSERT ON customer_plans
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
CREATE TRIGGER customer_plans_stamp_update AFTER UPDATE ON customer_plans
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
CREATE TRIGGER customer_plans_stamp_delete AFTER DELETE ON customer_plans
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
CREATE TRIGGER customer_domains_stamp_insert AFTER INSERT ON customer_domains
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
CREATE TRIGGER customer_domains_stamp_update AFTER UPDATE ON customer_domains
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
CREATE TRIGGER customer_domains_stamp_delete AFTER DELETE ON customer_domains
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
CREATE TRIGGER sources_stamp_insert AFTER INSERT ON sources
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
CREATE TRIGGER sources_stamp_update AFTER UPDATE ON sources
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
CREATE TRIGGER sources_stamp_delete AFTER DELETE ON sources
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'customers'; END;
