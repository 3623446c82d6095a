-- The staff accounts (identity's) that work each service's inbox, chosen by administrators.
CREATE TABLE service_members (
    service     text NOT NULL REFERENCES services (code),
    account_id  uuid NOT NULL,
    added_at    timestamptz NOT NULL DEFAULT now(),
    added_by    uuid NOT NULL,
    PRIMARY KEY (service, account_id)
);
CREATE INDEX service_members_by_account ON service_members (account_id);
