-- Consultation and tumor-board requests and message threads come with their issue; the schema
-- exists from the start so that the service runs, migrates and answers health checks.
CREATE TABLE hospital_services (
    id    text PRIMARY KEY,
    name  text NOT NULL
);
