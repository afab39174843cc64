-- Named rate decks assigned to customers, the local-side prefix of rates, and the local calling
-- table (the rate-deck amendment of the contract).

CREATE TABLE decks (
    id          text COLLATE "C" PRIMARY KEY,
    description text NOT NULL DEFAULT ''
);

-- At most one deck per customer; NULL means the default deck only.
ALTER TABLE customers ADD COLUMN deck_id text COLLATE "C" REFERENCES decks(id);

-- A rate belongs to the default deck (both NULL), a named deck, or one customer, never both.
ALTER TABLE rates ADD COLUMN deck_id text COLLATE "C" REFERENCES decks(id);
ALTER TABLE rates ADD CONSTRAINT rates_one_owner CHECK (deck_id IS NULL OR customer_pk IS NULL);
ALTER TABLE rates ADD COLUMN local_prefix text COLLATE "C" NOT NULL DEFAULT '';

-- Pairs (caller's NPA-NXX, NPA-NXX reached as a local call), as six-digit integers.
CREATE TABLE local_calling (
    npa_nxx       integer NOT NULL,
    local_npa_nxx integer NOT NULL,
    PRIMARY KEY (npa_nxx, local_npa_nxx)
);
