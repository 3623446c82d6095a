-- The audit log: append-only, each row chained to the one before by a SHA-256 hash
-- (hash = sha256(prev_hash || canonical JSON of the row), see services/audit/chain.py),
-- so that a row changed or removed behind the service's back breaks the chain.
CREATE TABLE records (
    seq             bigserial PRIMARY KEY,
    event_id        text NOT NULL UNIQUE,
    source          text NOT NULL,
    recorded_at     timestamptz NOT NULL,
    action          text NOT NULL,
    outcome         text NOT NULL,
    actor_kind      text NOT NULL,
    actor_id        text,
    entity_kind     text,
    entity_id       text,
    entity_version  integer,
    client_ip       text,
    detail          text NOT NULL,
    prev_hash       bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash            bytea NOT NULL UNIQUE CHECK (length(hash) = 32)
);

CREATE FUNCTION refuse_record_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only (% refused)', TG_OP;
END
$$;

CREATE TRIGGER records_append_only
    BEFORE UPDATE OR DELETE ON records
    FOR EACH ROW EXECUTE FUNCTION refuse_record_change();

CREATE TRIGGER records_no_truncate
    BEFORE TRUNCATE ON records
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_record_change();
