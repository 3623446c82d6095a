-- The registration form's "cancer screening application" box asks for the applications marked
-- here: the login's creation turns the wish into enrolment requests an administrator decides.
ALTER TABLE applications ADD COLUMN asked_at_registration boolean NOT NULL DEFAULT false;
