-- The compact samples' blobs are compressed already (deflate, pco) or live for an hour (a hot
-- frame): PostgreSQL's own compression (pglz) of them only costs time. On a 1,000-server cycle
-- it was a quarter of PostgreSQL's CPU, most of it spent finding that a block does not
-- compress. EXTERNAL: stored out of line when large, never compressed. Rows already written
-- keep their storage; only new values are affected.
ALTER TABLE sample_frames ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE sample_blocks ALTER COLUMN figures SET STORAGE EXTERNAL;
ALTER TABLE sample_blocks ALTER COLUMN lists SET STORAGE EXTERNAL;
ALTER TABLE sample_facts ALTER COLUMN body SET STORAGE EXTERNAL;
ALTER TABLE sample_rollups ALTER COLUMN body SET STORAGE EXTERNAL;
