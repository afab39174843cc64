-- Earlier versions kept a hint of each source secret (its length and last two characters) in
-- the settings JSON; only whether it is set is kept.
UPDATE source_settings SET settings = (settings::jsonb || jsonb_build_object(
    'client_secret', CASE WHEN settings::jsonb ->> 'client_secret' IS NULL THEN NULL ELSE 'set' END,
    'password', CASE WHEN settings::jsonb ->> 'password' IS NULL THEN NULL ELSE 'set' END,
    'api_key', CASE WHEN settings::jsonb ->> 'api_key' IS NULL THEN NULL ELSE 'set' END))::text;
