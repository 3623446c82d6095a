-- The validator's section of the registration form (F5.3 step 2): how the identity was checked,
-- the identity document's number (sealed), the control SMS sent to the applicant's mobile and
-- its code read back, and the validator's signature (name, place, date).
ALTER TABLE registration_requests
    ADD COLUMN check_method        text CHECK (check_method IN ('in_person', 'video_call')),
    ADD COLUMN id_document_number  bytea,           -- sealed, bound to the request
    ADD COLUMN control_code_mac    bytea,
    ADD COLUMN control_sent_at     timestamptz,
    ADD COLUMN control_sends       integer NOT NULL DEFAULT 0,
    ADD COLUMN control_confirmed_at timestamptz,
    ADD COLUMN validated_by        uuid REFERENCES accounts (id),
    ADD COLUMN validator_name      text,
    ADD COLUMN validated_place     text,
    ADD COLUMN validated_at        timestamptz;
