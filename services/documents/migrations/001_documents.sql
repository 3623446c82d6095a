-- Patients as the hospital last described them.
CREATE TABLE patients (
    id           text PRIMARY KEY,
    family_name  text NOT NULL,
    given_name   text NOT NULL,
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
    size           integer NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, version)
);

-- Contents apart from metadata: lists never touch them.
CREATE TABLE contents (
    document_id  text NOT NULL,
    version      integer NOT NULL,
    data         bytea NOT NULL,
    PRIMARY KEY (document_id, version),
    FOREIGN KEY (document_id, version) REFERENCES documents (document_id, version)
);

-- One row per document version delivered to one physician account; `id` is what the physician sees.
CREATE TABLE deliveries (
    id                     uuid PRIMARY KEY,
    document_id            text NOT NULL,
    version                integer NOT NULL,
    account_id             uuid NOT NULL,
    physician              text NOT NULL,
    delivered_at           timestamptz NOT NULL DEFAULT now(),
    read_at                timestamptz,
    unread                 boolean NOT NULL DEFAULT true,
    manual_sent_by         text,
    patient_authorization  text,
    UNIQUE (document_id, version, account_id),
    FOREIGN KEY (document_id, version) REFERENCES documents (document_id, version)
);
CREATE INDEX deliveries_account ON deliveries (account_id, delivered_at DESC);

-- Documents that reached no physician, with the reason told to the hospital.
CREATE TABLE undelivered (
    id           bigserial PRIMARY KEY,
    document_id  text NOT NULL,
    version      integer NOT NULL,
    service      text,
    reason       text NOT NULL,
    detail       text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- Messages from the hospital that could not be processed (never their content).
CREATE TABLE rejections (
    id           bigserial PRIMARY KEY,
    subject      text NOT NULL,
    event_id     text,
    reason       text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
