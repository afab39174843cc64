-- Earlier versions kept a hint of each source secret (its length and last two characters) in
-- the settings JSON; only whether it is set is kept.
UPDATE source_settings SET settings = json_set(settings,
    '$.client_secret', CASE WHEN json_extract(settings, '$.client_secret') IS NULL THEN NULL ELSE 'set' END,
    '$.password', CASE WHEN json_extract(settings, '$.password') IS NULL THEN NULL ELSE 'set' END,
    '$.api_key', CASE WHEN json_extract(settings, '$.api_key') IS NULL THEN NULL ELSE 'set' END);
