-- Mes documents pages through this index in its own order (no sort of all the physician's rows).
DROP INDEX deliveries_list;
CREATE INDEX deliveries_list ON deliveries (account_id, created_at DESC, delivered_at DESC) WHERE current;
