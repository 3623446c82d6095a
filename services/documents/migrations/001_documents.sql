-- Patients as the hospital last described them. `public_id` is what physicians see in URLs;
-- `search_name` is the name without case or accents, for search.
CREATE TABLE patients (
    id           text PRIMARY KEY,
    public_id    uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
    family_name  text NOT NULL,
    given_name   text NOT NULL,
    search_name  text NOT NULL,
    birth_date   date NOT NULL,
    sex          text NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);

-- The current state of each (episode, physician) designation; the latest recorded_at wins.
CREATE TABLE designations (
    episode_id          text NOT NULL,
    physician           text NOT NULL,          -- "gln:..." or "rpps:..."
    patient_id          text NOT NULL REFERENCES patients (id),
    episode_kind        text NOT NULL,
    episode_service     text NOT NULL,
    active              boolean NOT NULL,        -- false once revoked
    electronic_consent  boolean NOT NULL,
    recorded_at         timestamptz NOT NULL,
    event_id            text NOT NULL,
    PRIMARY KEY (episode_id, physician)
);

-- One row per document version. The content is encrypted in content_chunks with a data key
-- of its own, stored here wrapped by the master key `key_id`.
CREATE TABLE documents (
    document_id    text NOT NULL,
    version        integer NOT NULL,
    episode_id     text NOT NULL,
    patient_id     text NOT NULL REFERENCES patients (id),
    category       text NOT NULL,
    title          text NOT NULL,
    service        text NOT NULL,
    author         text NOT NULL,
    status         text NOT NULL,
    communicating  boolean NOT NULL,
    created_at     timestamptz NOT NULL,
    media_type     text NOT NULL,
    sha256         text NOT NULL,
    size           bigint NOT NULL,
    chunks         integer NOT NULL,
    key_id         text NOT NULL,
    wrapped_key    bytea NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, version)
);

-- AES-256-GCM ciphertexts (nonce || ciphertext || tag) of consecutive pieces of a content.
CREATE TABLE content_chunks (
    document_id  text NOT NULL,
    version      integer NOT NULL,
    seq          integer NOT NULL,
    data         bytea NOT NULL,
    PRIMARY KEY (document_id, version, seq),
    FOREIGN KEY (document_id, version) REFERENCES documents (document_id, version)
);
ALTER TABLE content_chunks ALTER COLUMN data SET STORAGE EXTERNAL;  -- already compressed-looking

-- Documents whose episode has no designation yet; they wait (30 days by default).
CREATE TABLE pending_documents (
    document_id  text NOT NULL,
    version      integer NOT NULL,
    episode_id   text NOT NULL,
    since        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, version),
    FOREIGN KEY (document_id, version) REFERENCES documents (document_id, version)
);
CREATE INDEX pending_documents_episode ON pending_documents (episode_id);

-- One row per document version delivered to one physician account; `id` is what the physician
-- sees. List columns are copied from the document so that filtering needs no join.
CREATE TABLE deliveries (
    id                     uuid PRIMARY KEY,
    document_id            text NOT NULL,
    version                integer NOT NULL,
    account_id             uuid NOT NULL,
    physician              text NOT NULL,
    patient_id             text NOT NULL,
    created_at             timestamptz NOT NULL,
    category               text NOT NULL,
    service                text NOT NULL,
    current                boolean NOT NULL DEFAULT true,  -- the newest version this account received
    delivered_at           timestamptz NOT NULL DEFAULT now(),
    read_at                timestamptz,
    unread                 boolean NOT NULL DEFAULT true,
    manual_sent_by         text,
    patient_authorization  text,
    UNIQUE (document_id, version, account_id),
    FOREIGN KEY (document_id, version) REFERENCES documents (document_id, version)
);
CREATE INDEX deliveries_list ON deliveries (account_id, created_at DESC) WHERE current;
CREATE INDEX deliveries_patient ON deliveries (account_id, patient_id) WHERE current;
CREATE INDEX deliveries_document ON deliveries (account_id, document_id);

-- Documents that reached no physician, with the reason told to the hospital.
CREATE TABLE undelivered (
    id           bigserial PRIMARY KEY,
    document_id  text NOT NULL,
    version      integer NOT NULL,
    service      text,
    title        text,
    reason       text NOT NULL,
    detail       text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX undelivered_recent ON undelivered (recorded_at DESC);

-- Messages from the hospital that could not be processed (never their content).
CREATE TABLE rejections (
    id           bigserial PRIMARY KEY,
    subject      text NOT NULL,
    event_id     text,
    reason       text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
