-- Failed logins (F5, OWASP ASVS 5.0 V6.3): consecutive failures per login name, whether or
-- not an account has that name (so the answers cannot tell), and per client address; each
-- failure past a few pushes the next allowed attempt further.
CREATE TABLE login_throttles (
    key              text PRIMARY KEY,      -- 'name:' || sha256 of the normalised name, or 'address:' || address
    failures         integer NOT NULL,
    last_failure_at  timestamptz NOT NULL,
    not_before       timestamptz NOT NULL
);

-- After 100 consecutive failures the account locks until an administrator unlocks it.
ALTER TABLE accounts
    ADD COLUMN failed_logins integer NOT NULL DEFAULT 0,
    ADD COLUMN locked_at timestamptz;

-- At most 3 SMS codes per account per 15 minutes: counted from the challenges.
CREATE INDEX login_challenges_recent ON login_challenges (account_id, created_at);
