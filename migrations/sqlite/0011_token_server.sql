-- An API token may be bound to one server (issue #15, push ingest): an `ingest` token then
-- stores samples for that server only. NULL: not bound (read and admin tokens).
ALTER TABLE auth_tokens ADD COLUMN server TEXT;
