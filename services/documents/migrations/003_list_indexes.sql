-- Mes documents pages with an index-only scan (ids only), then fetches just the page's rows.
DROP INDEX deliveries_list;
CREATE INDEX deliveries_list ON deliveries (account_id, created_at DESC, delivered_at DESC) INCLUDE (id) WHERE current;
-- The services filter: a few probes of this index instead of reading every delivery.
CREATE INDEX deliveries_services ON deliveries (account_id, service) WHERE current;
-- Unread counters read only what is unread.
CREATE INDEX deliveries_unread ON deliveries (account_id, patient_id) WHERE current AND unread;
