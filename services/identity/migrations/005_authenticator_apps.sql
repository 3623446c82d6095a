-- Hospital staff log in with password + a code from an authenticator app (TOTP, RFC 6238),
-- enrolled at their first login. The app's secret is sealed (sealing.py); the last time step
-- used keeps each code single use.
ALTER TABLE accounts
    ADD COLUMN totp_secret bytea,
    ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0;

ALTER TABLE login_challenges DROP CONSTRAINT login_challenges_purpose_check;
ALTER TABLE login_challenges
    ADD CONSTRAINT login_challenges_purpose_check
    CHECK (purpose IN ('login', 'password', 'mobile', 'app', 'app_enrolment'));
