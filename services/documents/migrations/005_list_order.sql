-- Mes documents' order is total: the id breaks ties of equal dates, so that a page read from the
-- oldest end (deep pages, see queries.document_listing) is exactly the mirror of one from the newest.
DROP INDEX deliveries_list;
CREATE INDEX deliveries_list ON deliveries (account_id, created_at DESC, delivered_at DESC, id DESC) WHERE current;
