-- F4 secure applications: the catalogue, and who may open the ones that need an enrolment.
CREATE TABLE applications (
    id               uuid PRIMARY KEY,
    slug             text NOT NULL UNIQUE,  -- the assertion's audience
    name             text NOT NULL,
    description      text NOT NULL DEFAULT '',
    url              text NOT NULL,
    needs_enrolment  boolean NOT NULL DEFAULT false,
    active           boolean NOT NULL DEFAULT true,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE application_enrolments (
    application_id   uuid NOT NULL REFERENCES applications (id),
    account_id       uuid NOT NULL REFERENCES accounts (id),
    state            text NOT NULL CHECK (state IN ('requested', 'granted', 'refused')),
    requested_at     timestamptz NOT NULL DEFAULT now(),
    decided_at       timestamptz,
    decided_by       uuid REFERENCES accounts (id),
    decided_by_name  text,
    PRIMARY KEY (application_id, account_id)
);
CREATE INDEX application_enrolments_waiting ON application_enrolments (requested_at) WHERE state = 'requested';
CREATE INDEX application_enrolments_decided ON application_enrolments (decided_at DESC) WHERE state <> 'requested';
