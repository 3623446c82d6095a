-- Each physician's counts per patient (current documents, unread ones, the newest document's date),
-- kept by a trigger in the same transaction as the deliveries they count. Mes documents reads its
-- totals and unread counters here instead of counting thousands of rows on every page, and Mes
-- patients pages this table instead of grouping every delivery.
CREATE TABLE patient_tallies (
    account_id        uuid NOT NULL,
    patient_id        text NOT NULL REFERENCES patients (id),
    documents         integer NOT NULL CHECK (documents >= 0),
    unread            integer NOT NULL CHECK (unread >= 0 AND unread <= documents),
    last_document_at  timestamptz,
    PRIMARY KEY (account_id, patient_id)
) WITH (fillfactor = 50);
-- No other index: every delivery updates its row, and with only the key indexed (and room left on
-- the page) these are HOT updates that write no index entry. Mes patients sorts a physician's rows.

INSERT INTO patient_tallies (account_id, patient_id, documents, unread, last_document_at)
SELECT account_id, patient_id, count(*), count(*) FILTER (WHERE unread), max(created_at)
FROM deliveries WHERE current GROUP BY account_id, patient_id;

-- A delivery counts while it is current; unread while current and unread. Deliveries are never
-- moved to another account or patient, so a row's change is a difference of these two flags.
CREATE FUNCTION tally_delivery() RETURNS trigger LANGUAGE plpgsql AS $$
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
        last_document_at = CASE WHEN TG_OP <> 'DELETE' AND counted.current
                                THEN greatest(last_document_at, counted.created_at) ELSE last_document_at END
    WHERE account_id = counted.account_id AND patient_id = counted.patient_id;
    IF NOT FOUND THEN
        INSERT INTO patient_tallies AS t (account_id, patient_id, documents, unread, last_document_at)
        VALUES (counted.account_id, counted.patient_id, documents_delta, unread_delta,
                CASE WHEN counted.current THEN counted.created_at END)
        ON CONFLICT (account_id, patient_id) DO UPDATE SET
            documents = t.documents + excluded.documents,
            unread = t.unread + excluded.unread,
            last_document_at = greatest(t.last_document_at, excluded.last_document_at);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER deliveries_tally
    AFTER INSERT OR DELETE OR UPDATE OF current, unread ON deliveries
    FOR EACH ROW EXECUTE FUNCTION tally_delivery();
