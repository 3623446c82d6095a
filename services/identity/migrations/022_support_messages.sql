-- F8: what people write to the support with the help page's form, logged in or not. The
-- administrators read them in the portal; notify emails each to the support's address.
CREATE TABLE support_messages (
    id           uuid PRIMARY KEY,
    received_at  timestamptz NOT NULL DEFAULT now(),
    account_id   uuid REFERENCES accounts (id),  -- the sender's account, when they were logged in
    name         text NOT NULL,
    email        text NOT NULL,
    topic        text NOT NULL CHECK (topic IN ('documents', 'login', 'registration', 'other')),
    text         text NOT NULL,
    client_ip    text NOT NULL DEFAULT ''
);
CREATE INDEX support_messages_newest ON support_messages (received_at DESC, id DESC);
