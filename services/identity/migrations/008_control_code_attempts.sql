-- Wrong control codes typed by a validator are counted: the fifth clears the code.
ALTER TABLE registration_requests ADD COLUMN control_attempts integer NOT NULL DEFAULT 0;
