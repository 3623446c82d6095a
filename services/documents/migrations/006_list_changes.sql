-- Each tally also counts the changes to its patient's part of the list (a delivery becoming or
-- ceasing to be current). Their sum is a version of the physician's list: while it holds, every
-- delivery keeps its position, and the documents service may reuse what it knows of the list's
-- positions (queries.Anchors) instead of walking an OFFSET.
ALTER TABLE patient_tallies ADD COLUMN changes bigint NOT NULL DEFAULT 0;

CREATE OR REPLACE FUNCTION tally_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    documents_delta integer := 0;
    unread_delta    integer := 0;
    counted         deliveries;  -- the row whose account and patient are counted
BEGIN
    IF TG_OP = 'DELETE' THEN
        counted := OLD;
    ELSE
        counted := NEW;
        documents_delta := NEW.current::int;
        unread_delta := (NEW.current AND NEW.unread)::int;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        documents_delta := documents_delta - OLD.current::int;
        unread_delta := unread_delta - (OLD.current AND OLD.unread)::int;
    END IF;
    IF documents_delta = 0 AND unread_delta = 0 THEN
        RETURN NULL;
    END IF;
    -- A row's CHECKs apply to the proposed row of an INSERT before any ON CONFLICT, so a negative
    -- difference is an UPDATE; a first count for a patient is an INSERT (raced by an upsert).
    UPDATE patient_tallies SET
        documents = documents + documents_delta,
        unread = unread + unread_delta,
        changes = changes + (documents_delta <> 0)::int,
        last_document_at = CASE WHEN TG_OP <> 'DELETE' AND counted.current
                                THEN greatest(last_document_at, counted.created_at) ELSE last_document_at END
    WHERE account_id = counted.account_id AND patient_id = counted.patient_id;
    IF NOT FOUND THEN
        INSERT INTO patient_tallies AS t (account_id, patient_id, documents, unread, changes, last_document_at)
        VALUES (counted.account_id, counted.patient_id, documents_delta, unread_delta, (documents_delta <> 0)::int,
                CASE WHEN counted.current THEN counted.created_at END)
        ON CONFLICT (account_id, patient_id) DO UPDATE SET
            documents = t.documents + excluded.documents,
            unread = t.unread + excluded.unread,
            changes = t.changes + excluded.changes,
            last_document_at = greatest(t.last_document_at, excluded.last_document_at);
    END IF;
    RETURN NULL;
END
$$;
