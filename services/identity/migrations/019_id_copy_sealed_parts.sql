-- A copy of an identity document is sealed part by part as it arrives and kept so: nothing of
-- it is ever in clear at rest (parts used to wait in clear until the last one), and showing it
-- opens one part at a time. Copies kept whole before this stay readable (id_copy).
DELETE FROM id_copy_parts;  -- unfinished uploads of the former format, in clear
ALTER TABLE id_copy_parts ADD COLUMN size integer NOT NULL;  -- the part's length in clear

CREATE TABLE id_copy_kept (
    request_id  uuid NOT NULL REFERENCES registration_requests (id),
    upload_id   uuid NOT NULL,
    seq         integer NOT NULL CHECK (seq >= 0),
    sealed      bytea NOT NULL,  -- bound to request, upload and position
    PRIMARY KEY (request_id, seq)
);

ALTER TABLE registration_requests ADD COLUMN id_copy_upload uuid;
