-- A server's facts stored as a patch of an earlier row of the same server (issue #11): most
-- changes of a server's facts (a login, a container's state, the fullest mount) are a small
-- part of the whole. `base_id` is that row (always one stored whole); NULL: the body is whole,
-- as every row written before. A base is kept as long as a patch of it is. Never edit once
-- applied: add a new numbered file instead.
ALTER TABLE sample_facts ADD COLUMN base_id INTEGER REFERENCES sample_facts (id);

CREATE INDEX sample_facts_base ON sample_facts (base_id) WHERE base_id IS NOT NULL;
