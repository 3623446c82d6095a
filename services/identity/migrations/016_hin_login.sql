-- F5.1 HIN login. An account is bound to one HIN identity (its `sub`); the first login of a
-- personal identity creates the account, or links the SMS account that has its GLN.
ALTER TABLE accounts ADD COLUMN hin_id text UNIQUE;

-- A HIN login between the redirect to HIN and HIN's return: found by its state, finished only
-- by the browser that started it (its cookie's secret, hashed here), once.
CREATE TABLE hin_attempts (
    state_hash     bytea PRIMARY KEY,
    browser_hash   bytea NOT NULL,
    code_verifier  text NOT NULL,  -- PKCE: useless without the code, which only HIN and the browser see
    client_ip      text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz NOT NULL,
    finished_at    timestamptz
);
CREATE INDEX hin_attempts_expiry ON hin_attempts (expires_at);
