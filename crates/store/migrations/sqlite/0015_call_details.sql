-- The Call Details (issue 16): pages of every customer's calls, in the listing's order, from a
-- cursor. The same index and stamp as on PostgreSQL.

-- The listing's order across customers: start, source, source call id (SQLite's own order of
-- source codes; the store orders by name, which is the codes' order unless sources were added
-- out of it). A page seeks to its cursor in it and reads on; its entries also hold the calls'
-- key (customer, start, number), so a customer, a source or a span of starts is checked in the
-- index before the call is read. One customer's calls come from the calls' key.
CREATE INDEX calls_by_start ON calls (start_us, source, source_call_id);

-- A stamp of what prices calls (the rates, with their customers' ids, and the local calling
-- table), advanced by every change of them in the changing transaction: a server keeps the rate
-- index it built while the stamp it read stays the same, instead of reading the deck for every
-- page.
INSERT INTO counters (name, next) VALUES ('pricing', 1);
CREATE TRIGGER rates_pricing_insert AFTER INSERT ON rates
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'pricing'; END;
CREATE TRIGGER rates_pricing_update AFTER UPDATE ON rates
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'pricing'; END;
CREATE TRIGGER rates_pricing_delete AFTER DELETE ON rates
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'pricing'; END;
CREATE TRIGGER local_calling_pricing_insert AFTER INSERT ON local_calling
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'pricing'; END;
CREATE TRIGGER local_calling_pricing_update AFTER UPDATE ON local_calling
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'pricing'; END;
CREATE TRIGGER local_calling_pricing_delete AFTER DELETE ON local_calling
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'pricing'; END;
CREATE TRIGGER customers_pricing_id AFTER UPDATE OF id ON customers
BEGIN UPDATE counters SET next = next + 1 WHERE name = 'pricing'; END;
