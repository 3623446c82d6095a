-- Attachments to requests and to the messages of their threads (F3), both ways: PDF, JPEG or PNG,
-- at most 20 MiB each and 10 per message. Kept sealed (common/sealed): a data key per
-- attachment wrapped by a master key, the content in AES-256-GCM chunks of 256 KiB.
--
-- A browser's file arrives part by part (one chunk per part, each sealed as it comes); until a
-- draft, a reply or an answer takes it, it belongs to the account that sent it alone (staged),
-- and a staged attachment not taken within a day goes.
CREATE TABLE attachments (
    attachment_id  uuid PRIMARY KEY,
    version        integer NOT NULL DEFAULT 1,       -- sealed storage's object version (always 1)
    key_id         text NOT NULL,                    -- the master key that wraps the data key
    wrapped_key    bytea NOT NULL,
    owner          uuid,                             -- the account that sent it; null: the hospital
    request_id     uuid REFERENCES requests (id) ON DELETE CASCADE,  -- null while staged
    message_id     uuid REFERENCES thread_messages (id),  -- null: the request's own (its form)
    file_name      text NOT NULL,
    media_type     text,                             -- known from its first bytes
    size           bigint NOT NULL DEFAULT 0,
    parts          integer NOT NULL DEFAULT 0,       -- chunks received so far
    sha256         text,                             -- once complete
    complete       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX attachments_of_request ON attachments (request_id, created_at) WHERE request_id IS NOT NULL;
CREATE INDEX attachments_staged ON attachments (created_at) WHERE request_id IS NULL;

CREATE TABLE attachment_chunks (
    attachment_id  uuid NOT NULL REFERENCES attachments (attachment_id) ON DELETE CASCADE,
    version        integer NOT NULL,
    seq            integer NOT NULL,
    data           bytea NOT NULL,                   -- nonce || ciphertext || tag
    PRIMARY KEY (attachment_id, version, seq)
);
