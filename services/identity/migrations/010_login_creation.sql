-- F5.3 step 3: an administrator creates the login of a validated request; a temporary password
-- goes out by email, valid 72 hours, and must be changed at the first login.
ALTER TABLE accounts
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
    ADD COLUMN temporary_password_expires_at timestamptz;

ALTER TABLE registration_requests
    ADD COLUMN login                 text,
    ADD COLUMN login_created_by      uuid REFERENCES accounts (id),
    ADD COLUMN login_created_by_name text,
    ADD COLUMN login_created_at      timestamptz,
    ADD COLUMN account_id            uuid REFERENCES accounts (id);
