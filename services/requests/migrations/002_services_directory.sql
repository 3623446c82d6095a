-- The directory of the hospital's services that receive requests: published by the hospital
-- (dpi.services), also managed by the portal's administrators; the latest change wins.
DROP TABLE hospital_services;

CREATE TABLE services (
    code        text PRIMARY KEY,
    name        text NOT NULL,
    domain      text NOT NULL CHECK (domain IN ('adults', 'paediatrics', 'both')),
    accepts     text[] NOT NULL,
    boards      jsonb NOT NULL DEFAULT '[]',
    active      boolean NOT NULL,
    changed_at  timestamptz NOT NULL,
    changed_by  text NOT NULL  -- 'hospital', or the administrator's account id
);

-- Messages from the hospital that could not be processed (never their content).
CREATE TABLE rejections (
    id           bigserial PRIMARY KEY,
    subject      text NOT NULL,
    event_id     text,
    reason       text NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
