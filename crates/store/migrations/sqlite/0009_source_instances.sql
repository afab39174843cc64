-- Metered sources as named instances of a platform: a reseller may run two NetSapiens platforms.
-- A source's code is what calls, phone_numbers, jobs and source_settings store; the codes already
-- stored keep their meaning (brightlink 0, file 1, netsapiens 2) and a new source takes the next
-- one. Names follow the rules of docs/operations.md ("Metered sources"); `file` is the flat-file
-- imports' source.
CREATE TABLE sources (
    code     INTEGER PRIMARY KEY,
    name     TEXT NOT NULL CONSTRAINT sources_name_unique UNIQUE,
    platform TEXT NOT NULL CONSTRAINT sources_platform CHECK (platform IN ('file', 'netsapiens', 'brightlink'))
);
INSERT INTO sources (code, name, platform) VALUES (0, 'brightlink', 'brightlink'), (1, 'file', 'file'),
    (2, 'netsapiens', 'netsapiens');

-- A customer's domain on a source (one per source). A domain names one customer on its source,
-- compared ignoring case (the index folds ASCII letters; imports also fold the others).
CREATE TABLE customer_domains (
    customer_pk INTEGER NOT NULL REFERENCES customers(pk),
    source      INTEGER NOT NULL REFERENCES sources(code),
    domain      TEXT NOT NULL,
    PRIMARY KEY (customer_pk, source)
) WITHOUT ROWID;
CREATE UNIQUE INDEX customer_domains_unique ON customer_domains (source, lower(domain));

-- The domains of the two columns that held them. A domain two customers shared on one source
-- (which `db check` reported) stops this migration at the unique index: see docs/operations.md.
INSERT INTO customer_domains (customer_pk, source, domain)
    SELECT pk, 2, netsapiens_domain FROM customers WHERE netsapiens_domain IS NOT NULL
    UNION ALL
    SELECT pk, 0, brightlink_domain FROM customers WHERE brightlink_domain IS NOT NULL;
ALTER TABLE customers DROP COLUMN netsapiens_domain;
ALTER TABLE customers DROP COLUMN brightlink_domain;
