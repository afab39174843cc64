-- When each sync job last saved its progress. A sync saves its job with every batch of pages, so
-- a `running` job silent for long belongs to a process that died: billing stops counting it as
-- running (docs/operations.md, "Invoicing while a sync runs").
ALTER TABLE jobs ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
UPDATE jobs SET updated_at = coalesce(finished_at, started_at);
