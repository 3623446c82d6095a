-- The services' staff at work on requests: who took one, and the physician's name as sent.
ALTER TABLE requests ADD COLUMN assigned_to uuid;
ALTER TABLE requests ADD COLUMN physician_name text NOT NULL DEFAULT '';
CREATE INDEX requests_of_service ON requests (service, status, submitted_at DESC) WHERE status <> 'draft';
