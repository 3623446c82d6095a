-- Registration for SMS login (F5.3), from the public form to the login's creation. One account,
-- one physician: a GLN or RPPS number has at most one request in progress, and none once an
-- account has it (checked by the service against accounts).
CREATE TABLE registration_requests (
    id                uuid PRIMARY KEY,
    reference         text NOT NULL UNIQUE,       -- quoted to the support and the validator
    state             text NOT NULL DEFAULT 'submitted'
                      CHECK (state IN ('submitted', 'validated', 'login_created', 'refused')),
    family_name       text NOT NULL,
    given_name        text NOT NULL,
    street            text NOT NULL,
    address_extra     text NOT NULL DEFAULT '',
    postcode          text NOT NULL,
    city              text NOT NULL,
    country           text NOT NULL CHECK (country IN ('CH', 'FR')),
    email             text NOT NULL,
    mobile            text NOT NULL,              -- E.164
    gln               text,
    rpps              text,
    screening_access  boolean NOT NULL,
    signed_place      text NOT NULL,
    submitted_at      timestamptz NOT NULL DEFAULT now(),
    client_ip         text NOT NULL DEFAULT '',
    CHECK ((gln IS NULL) <> (rpps IS NULL))
);
CREATE UNIQUE INDEX registration_requests_open_gln ON registration_requests (gln)
    WHERE gln IS NOT NULL AND state IN ('submitted', 'validated');
CREATE UNIQUE INDEX registration_requests_open_rpps ON registration_requests (rpps)
    WHERE rpps IS NOT NULL AND state IN ('submitted', 'validated');
CREATE INDEX registration_requests_queue ON registration_requests (state, submitted_at);
