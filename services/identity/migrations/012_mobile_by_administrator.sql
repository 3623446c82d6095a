-- F11: an administrator changes a physician's mobile number; the new number is confirmed by a
-- control code sent to it and read back by the physician (keyed with the service's secret).
ALTER TABLE accounts
    ADD COLUMN pending_mobile          text,
    ADD COLUMN pending_mobile_mac      bytea,
    ADD COLUMN pending_mobile_sent_at  timestamptz,
    ADD COLUMN pending_mobile_attempts integer NOT NULL DEFAULT 0;
