-- A request's thread: what the hospital (its systems or its staff) and the physician write in it.
CREATE TABLE thread_messages (
    id           uuid PRIMARY KEY,
    request_id   uuid NOT NULL REFERENCES requests (id),
    author_kind  text NOT NULL CHECK (author_kind IN ('physician', 'staff', 'hospital')),
    author       text NOT NULL,            -- a name as the hospital gives it, or an account id
    text         text NOT NULL,
    needs_reply  boolean NOT NULL DEFAULT false,
    sent_at      timestamptz NOT NULL,
    external_id  text UNIQUE               -- the hospital's message id (dpi.requests.answer): once only
);
CREATE INDEX thread_messages_of_request ON thread_messages (request_id, sent_at);

ALTER TABLE requests ADD COLUMN first_answer_at timestamptz;
