-- A physician's requests: drafts (theirs alone, never published) and, once submitted, requests
-- the service answers. A submitted request is never changed, only followed by messages.
CREATE TABLE requests (
    id            uuid PRIMARY KEY,
    account_id    uuid NOT NULL,          -- the physician (identity's account), the only one who sees it
    physician     text NOT NULL,          -- gln:<13 digits> or rpps:<11 digits>
    kind          text NOT NULL CHECK (kind IN ('consultation', 'tumor_board', 'message')),
    service       text NOT NULL REFERENCES services (code),
    domain        text CHECK (domain IN ('adults', 'paediatrics')),
    board         text,
    subject       text NOT NULL DEFAULT '',
    urgency       text NOT NULL DEFAULT 'routine' CHECK (urgency IN ('routine', 'urgent')),
    fields        jsonb NOT NULL DEFAULT '{}',
    patient       jsonb,                  -- the contract's patient (id null when typed), or none
    status        text NOT NULL DEFAULT 'draft' CHECK (status IN
                  ('draft', 'submitted', 'received', 'in_progress', 'information_needed', 'answered', 'closed')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    submitted_at  timestamptz
);
CREATE INDEX requests_of_account ON requests (account_id, updated_at DESC);
