-- What a list row shows of its document version (never changed once stored) is copied into the
-- delivery, like its date, category and service: a Mes documents page then joins no document.
ALTER TABLE deliveries
    ADD COLUMN title text,
    ADD COLUMN author text,
    ADD COLUMN media_type text,
    ADD COLUMN size bigint;
UPDATE deliveries d SET title = doc.title, author = doc.author, media_type = doc.media_type, size = doc.size
FROM documents doc WHERE doc.document_id = d.document_id AND doc.version = d.version;
ALTER TABLE deliveries
    ALTER COLUMN title SET NOT NULL,
    ALTER COLUMN author SET NOT NULL,
    ALTER COLUMN media_type SET NOT NULL,
    ALTER COLUMN size SET NOT NULL;
