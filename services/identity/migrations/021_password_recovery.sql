-- F5.6 account recovery: a physician who forgot their password asks for a link by email; the
-- link (single use, 30 minutes) and a code sent by SMS to the registered mobile let them choose
-- a new one. Only the hash of the link's token is kept; the token itself is in the email alone.
CREATE TABLE recovery_links (
    token_hash   bytea PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id),
    client_ip    text NOT NULL DEFAULT '',  -- who asked for it (the audit has it too)
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    wrong_codes  integer NOT NULL DEFAULT 0,
    closed_at    timestamptz               -- used, replaced by a newer link, or too many wrong codes
);
CREATE INDEX recovery_links_account ON recovery_links (account_id, created_at);
CREATE INDEX recovery_links_expiry ON recovery_links (expires_at);

-- The SMS code that confirms the new password is an attempt like the others (codes.py); the new
-- password's hash waits in it until the code comes back.
ALTER TABLE login_challenges DROP CONSTRAINT login_challenges_purpose_check;
ALTER TABLE login_challenges
    ADD CONSTRAINT login_challenges_purpose_check
    CHECK (purpose IN ('login', 'password', 'mobile', 'mobile_new', 'app', 'app_enrolment', 'unlock', 'recovery'));
