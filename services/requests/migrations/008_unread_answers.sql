-- An answer the physician has not opened yet: set when the service answers (its staff, or the
-- hospital's systems, a question included), cleared when the physician opens the request.
-- The navigation counts them on every page: a partial index keeps that count one small probe.
ALTER TABLE requests ADD COLUMN answer_unread boolean NOT NULL DEFAULT false;
CREATE INDEX requests_with_unread_answers ON requests (account_id) WHERE answer_unread;
