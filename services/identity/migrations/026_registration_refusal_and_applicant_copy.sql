-- Registration (F5.3), issue 14. A validator may refuse a request, with a reason the applicant is
-- told by email in the language of the form they sent (kept here), and a note for the validators.
-- The applicant may send a copy of their identity document with the form: the form's answer holds
-- a ticket for it, good for one copy of this request while it waits.
ALTER TABLE registration_requests
    ADD COLUMN locale                 text NOT NULL DEFAULT 'fr',
    ADD COLUMN refusal_reason         text,
    ADD COLUMN refusal_note           text,  -- the validators' own words: never emailed
    ADD COLUMN refused_by             uuid REFERENCES accounts (id),
    ADD COLUMN refuser_name           text,
    ADD COLUMN refused_at             timestamptz,
    ADD COLUMN applicant_copy_ticket  uuid,
    ADD COLUMN id_copy_from_applicant boolean NOT NULL DEFAULT false;
CREATE UNIQUE INDEX registration_requests_copy_ticket ON registration_requests (applicant_copy_ticket)
    WHERE applicant_copy_ticket IS NOT NULL;
