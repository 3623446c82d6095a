-- What was sent, to whom and when; never the content (it stays out of the database).
CREATE TABLE sent_emails (
    id          bigserial PRIMARY KEY,
    account_id  text NOT NULL,
    kind        text NOT NULL,
    sent_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sent_emails_account_idx ON sent_emails (account_id, sent_at);
