-- Emails notify means to send: written in the transaction that decides them, sent after it
-- commits, each at most once: 'preparing' while a copy opens the SMTP transaction (nothing can
-- have been delivered yet), 'sending' committed just before the message is handed over, 'sent'
-- once the mail server took it. The row stays as the log of what was sent, to which address,
-- and when; never the text (composed from `kind` and `locale` at sending).
CREATE TABLE outgoing_emails (
    id          uuid PRIMARY KEY,
    message_id  text NOT NULL UNIQUE,     -- the email's Message-ID header, made of `id`
    account_id  text NOT NULL,
    kind        text NOT NULL,
    locale      text NOT NULL,
    address     text NOT NULL,
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'preparing', 'sending', 'sent', 'refused', 'uncertain')),
    attempts    integer NOT NULL DEFAULT 0,
    not_before  timestamptz NOT NULL DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    claimed_by  uuid,                     -- the copy of notify working on it (sender_copies)
    claimed_at  timestamptz,              -- when; also the claim's token (a copy acts only while it holds it)
    sent_at     timestamptz
);
CREATE INDEX outgoing_emails_due ON outgoing_emails (not_before) WHERE state = 'pending';
CREATE INDEX outgoing_emails_claimed ON outgoing_emails (claimed_at) WHERE state IN ('preparing', 'sending');
CREATE INDEX outgoing_emails_account ON outgoing_emails (account_id, created_at);

-- The copies of notify sending emails, and when each last said it is alive: what a copy that
-- stopped saying so held is taken back.
CREATE TABLE sender_copies (
    instance  uuid PRIMARY KEY,
    seen_at   timestamptz NOT NULL
);

-- What was in sent_emails (the log of sent emails) now lives in outgoing_emails.
INSERT INTO outgoing_emails (id, message_id, account_id, kind, locale, address, state, created_at, sent_at)
SELECT gen_random_uuid(), 'migrated-' || id, account_id, kind, 'fr', '', 'sent', sent_at, sent_at FROM sent_emails;
DROP TABLE sent_emails;

-- Messages on our own streams that could not be processed: a bug to look at, kept, and audited.
CREATE TABLE rejections (
    id           bigserial PRIMARY KEY,
    subject      text NOT NULL,
    event_id     text,
    reason       text NOT NULL,
    rejected_at  timestamptz NOT NULL DEFAULT now()
);
