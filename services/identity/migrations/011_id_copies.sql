-- The copy of the identity document a validator keeps (F5.3 step 2), sealed. It arrives in
-- parts (a bus message carries at most 1 MB); the parts wait here until the last one.
ALTER TABLE registration_requests
    ADD COLUMN id_copy             bytea,        -- sealed, bound to the request
    ADD COLUMN id_copy_media_type  text,
    ADD COLUMN id_copy_size        integer,
    ADD COLUMN id_copy_uploaded_at timestamptz;

CREATE TABLE id_copy_parts (
    upload_id   uuid NOT NULL,
    request_id  uuid NOT NULL REFERENCES registration_requests (id),
    seq         integer NOT NULL CHECK (seq >= 0),
    data        bytea NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (upload_id, seq)
);
