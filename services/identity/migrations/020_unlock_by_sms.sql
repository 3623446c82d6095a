-- The owner of a login blocked by failed attempts unlocks it with a code sent to their mobile.
ALTER TABLE login_challenges DROP CONSTRAINT login_challenges_purpose_check;
ALTER TABLE login_challenges
    ADD CONSTRAINT login_challenges_purpose_check
    CHECK (purpose IN ('login', 'password', 'mobile', 'mobile_new', 'app', 'app_enrolment', 'unlock'));
