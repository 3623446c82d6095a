-- A new mobile number is confirmed by a code sent to it, after the code sent to the current one.
ALTER TABLE login_challenges DROP CONSTRAINT login_challenges_purpose_check;
ALTER TABLE login_challenges
    ADD CONSTRAINT login_challenges_purpose_check
    CHECK (purpose IN ('login', 'password', 'mobile', 'mobile_new', 'app', 'app_enrolment'));
