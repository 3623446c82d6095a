-- An SMS code also confirms a change of one's own credentials (a step up from the session):
-- the challenge then belongs to that session and holds the change it confirms (a new
-- password's hash, a new mobile number) until the code comes back.
ALTER TABLE login_challenges
    ADD COLUMN purpose text NOT NULL DEFAULT 'login' CHECK (purpose IN ('login', 'password', 'mobile')),
    ADD COLUMN session_id uuid REFERENCES sessions (id),
    ADD COLUMN pending text;
