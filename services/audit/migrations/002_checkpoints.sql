-- The chain's head, signed every few minutes and published on portal.audit.checkpoint (the
-- hospital keeps them too): a chain rewritten in the database, hashes and all, no longer matches
-- them. Kept as published (signed_at: the text signed), append-only like the records.
-- Applied by the owner, audit_owner (services/audit/ownership.py); the service may only read and add.
CREATE TABLE checkpoints (
    id          bigserial PRIMARY KEY,
    seq         bigint NOT NULL,
    hash        bytea NOT NULL CHECK (length(hash) = 32),
    signed_at   text NOT NULL,
    key_id      text NOT NULL,
    signature   text NOT NULL
);
CREATE INDEX checkpoints_seq ON checkpoints (seq);

CREATE TRIGGER checkpoints_append_only
    BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH ROW EXECUTE FUNCTION refuse_record_change();

CREATE TRIGGER checkpoints_no_truncate
    BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_record_change();
