-- Mes documents is sorted by the date received ("Reçu le"), newest first: the document's own date
-- (the hospital's) only breaks ties, and the id after it, so that the order stays total (see 005).
DROP INDEX deliveries_list;
CREATE INDEX deliveries_list ON deliveries (account_id, delivered_at DESC, created_at DESC, id DESC) WHERE current;
