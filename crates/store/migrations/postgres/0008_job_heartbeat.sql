-- When each sync job last saved its progress. A sync saves its job with every batch of pages, so
-- a `running` job silent for long belongs to a process that died: billing stops counting it as
-- running (docs/operations.md, "Invoicing while a sync runs").
ALTER TABLE jobs ADD COLUMN updated_at timestamptz;
UPDATE jobs SET updated_at = coalesce(finished_at, started_at);
ALTER TABLE jobs ALTER COLUMN updated_at SET NOT NULL;
