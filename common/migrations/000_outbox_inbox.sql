-- Infrastructure tables every service has in its own schema.
-- outbox: messages committed with the business change, published to NATS afterwards.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    msg_id      text NOT NULL,
    subject     text NOT NULL,
    payload     bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- inbox: bus events already processed, so that a redelivery changes nothing.
CREATE TABLE inbox (
    event_id      text PRIMARY KEY,
    subject       text NOT NULL,
    processed_at  timestamptz NOT NULL DEFAULT now()
);
