-- A database that ran 002 in its first form (before copies claimed rows and said they were
-- alive) is brought to 002's present shape; on one that ran it as it is now, these change nothing.
ALTER TABLE outgoing_emails ADD COLUMN IF NOT EXISTS claimed_by uuid;
CREATE TABLE IF NOT EXISTS sender_copies (
    instance  uuid PRIMARY KEY,
    seen_at   timestamptz NOT NULL
);
DROP INDEX IF EXISTS outgoing_emails_claimed;
CREATE INDEX outgoing_emails_claimed ON outgoing_emails (claimed_at) WHERE state IN ('preparing', 'sending');

-- Commands from the other services (notifications.SendCode, SendTemporaryPassword, SendNotice):
-- each recorded once (inbox, by event_id) and written here in the same transaction, then sent
-- after the commit. `fields` holds what the text needs besides its kind and language (a login
-- name, a validity); `sealed` a secret sealed to notify's key (common.envelopes), erased once
-- the message is settled. Never the text.
ALTER TABLE outgoing_emails
    ALTER COLUMN account_id DROP NOT NULL,
    ADD COLUMN fields     jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN sealed     text,
    ADD COLUMN expires_at timestamptz,
    DROP CONSTRAINT outgoing_emails_state_check,
    ADD CONSTRAINT outgoing_emails_state_check
        CHECK (state IN ('pending', 'preparing', 'sending', 'sent', 'refused', 'uncertain', 'expired'));

-- SMS, the same way. `message_id` is the idempotency token the provider is given: a provider
-- that honours it takes a message twice as once (PORTAL_SMS_IDEMPOTENT).
CREATE TABLE outgoing_sms (
    id          uuid PRIMARY KEY,
    message_id  text NOT NULL UNIQUE,
    account_id  text,
    kind        text NOT NULL,
    locale      text NOT NULL,
    address     text NOT NULL,
    fields      jsonb NOT NULL DEFAULT '{}',
    sealed      text,
    expires_at  timestamptz,            -- a code: not sent once it could no longer be used
    state       text NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'preparing', 'sending', 'sent', 'refused', 'uncertain', 'expired')),
    attempts    integer NOT NULL DEFAULT 0,
    not_before  timestamptz NOT NULL DEFAULT now(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    claimed_by  uuid,
    claimed_at  timestamptz,
    sent_at     timestamptz
);
CREATE INDEX outgoing_sms_due ON outgoing_sms (not_before) WHERE state = 'pending';
CREATE INDEX outgoing_sms_claimed ON outgoing_sms (claimed_at) WHERE state IN ('preparing', 'sending');
CREATE INDEX outgoing_sms_account ON outgoing_sms (account_id, created_at);
