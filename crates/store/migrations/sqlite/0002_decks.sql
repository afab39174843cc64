-- Named rate decks assigned to customers, the local-side prefix of rates, and the local calling
-- table (the rate-deck amendment of the contract).

CREATE TABLE decks (
    id          TEXT PRIMARY KEY,
    description TEXT NOT NULL DEFAULT ''
);

-- At most one deck per customer; NULL means the default deck only.
ALTER TABLE customers ADD COLUMN deck_id TEXT REFERENCES decks(id);

-- A rate belongs to the default deck (both NULL), a named deck, or one customer, never both.
ALTER TABLE rates ADD COLUMN deck_id TEXT REFERENCES decks(id)
    CONSTRAINT rates_one_owner CHECK (deck_id IS NULL OR customer_pk IS NULL);
ALTER TABLE rates ADD COLUMN local_prefix TEXT NOT NULL DEFAULT '';

-- Pairs (caller's NPA-NXX, NPA-NXX reached as a local call), as six-digit integers.
CREATE TABLE local_calling (
    npa_nxx       INTEGER NOT NULL,
    local_npa_nxx INTEGER NOT NULL,
    PRIMARY KEY (npa_nxx, local_npa_nxx)
) WITHOUT ROWID;
