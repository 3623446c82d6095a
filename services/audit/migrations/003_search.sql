-- Reading the log, newest first: the administrators' search by account (as actor or as the
-- account acted upon), by entity, by action; a physician's own activity (actor and action).
CREATE INDEX records_actor ON records (actor_id, seq DESC) WHERE actor_id IS NOT NULL;
CREATE INDEX records_entity ON records (entity_id, seq DESC) WHERE entity_id IS NOT NULL;
CREATE INDEX records_action ON records (action, seq DESC);
CREATE INDEX records_recorded_at ON records (recorded_at);
