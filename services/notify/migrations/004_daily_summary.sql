-- The daily summary (F10). A physician whose profile chose it gets no email per new document or
-- answer: each such event is kept here instead, recorded in the transaction that consumed it,
-- and counted by the next summary (never its content: the kind of thing and when).
CREATE TABLE digest_items (
    event_id     text PRIMARY KEY,          -- the delivery or answer it counts (also in `inbox`)
    account_id   text NOT NULL,
    physician    text NOT NULL,             -- gln:… or rpps:…: how identity finds the contact at summary time
    kind         text NOT NULL CHECK (kind IN ('document', 'answer')),
    recorded_at  timestamptz NOT NULL DEFAULT now(),
    summary_day  date                       -- the summary that took it; NULL: the next one will
);
CREATE INDEX digest_items_waiting ON digest_items (recorded_at) WHERE summary_day IS NULL;
CREATE INDEX digest_items_account ON digest_items (account_id) WHERE summary_day IS NULL;
CREATE INDEX digest_items_done ON digest_items (summary_day) WHERE summary_day IS NOT NULL;

-- One summary per physician and day (Europe/Zurich). Its key is taken in the transaction that
-- writes its email in outgoing_emails, before anything is sent: another copy of notify, or the
-- same after a restart, finds it taken and sends nothing. `email_id` NULL: nothing was new (or
-- the physician chose no email meanwhile), nothing sent.
CREATE TABLE daily_summaries (
    account_id  text NOT NULL,
    day         date NOT NULL,
    as_of       timestamptz NOT NULL,       -- the scheduled moment it counted up to
    documents   integer NOT NULL DEFAULT 0,
    answers     integer NOT NULL DEFAULT 0,
    email_id    uuid REFERENCES outgoing_emails (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, day)
);

-- The notification log's searches: everyone's, the latest first (an account's: *_account indexes).
CREATE INDEX outgoing_emails_created ON outgoing_emails (created_at);
CREATE INDEX outgoing_sms_created ON outgoing_sms (created_at);
