CREATE TABLE accounts (
    id                    uuid PRIMARY KEY,
    login                 text UNIQUE,          -- stored case-folded
    password_hash         text,
    role                  text NOT NULL CHECK (role IN ('physician', 'validator', 'admin', 'service_staff')),
    status                text NOT NULL CHECK (status IN ('pending', 'active', 'deactivated')),
    family_name           text NOT NULL,
    given_name            text NOT NULL,
    email                 text NOT NULL,
    mobile                text,                 -- E.164
    gln                   text UNIQUE,
    rpps                  text UNIQUE,
    locale                text NOT NULL DEFAULT 'fr',
    notify_new_documents  text NOT NULL DEFAULT 'each' CHECK (notify_new_documents IN ('each', 'digest', 'none')),
    created_at            timestamptz NOT NULL DEFAULT now()
);

-- A login attempt between the password and the SMS code. Only hashes are stored: the
-- challenge handle lives in the browser's cookie, the code in the physician's SMS.
CREATE TABLE login_challenges (
    handle_hash  bytea PRIMARY KEY,
    account_id   uuid NOT NULL REFERENCES accounts (id),
    code_mac     bytea NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    closed_at    timestamptz
);
CREATE INDEX login_challenges_account ON login_challenges (account_id) WHERE closed_at IS NULL;

-- Server-side sessions; the cookie holds the secret, the table its hash.
CREATE TABLE sessions (
    id            uuid PRIMARY KEY,
    secret_hash   bytea NOT NULL UNIQUE,
    account_id    uuid NOT NULL REFERENCES accounts (id),
    client_ip     text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    ended_at      timestamptz
);
CREATE INDEX sessions_account ON sessions (account_id) WHERE ended_at IS NULL;
