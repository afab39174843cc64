-- What a sync job left out, besides hidden legs and repeats: the rows the platform returned that
-- start outside the job's window (its end is inclusive), and the records it rejected as flawed
-- (a count, and the first few as a JSON array of {"id", "reason"}).
ALTER TABLE jobs ADD COLUMN outside INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN rejected INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN rejects TEXT NOT NULL DEFAULT '[]';
