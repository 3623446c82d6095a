-- What the security page shows of each session (issue 15): how it was opened ('sms': password
-- and SMS code, 'app': password and authenticator app, 'hin': HIN), and the browser and system
-- the gateway read from its User-Agent at the login (family and major version; the raw string is
-- not kept). Sessions opened before say nothing ('').
ALTER TABLE sessions
    ADD COLUMN login_method text NOT NULL DEFAULT '' CHECK (login_method IN ('', 'sms', 'app', 'hin')),
    ADD COLUMN browser      text NOT NULL DEFAULT '',
    ADD COLUMN system       text NOT NULL DEFAULT '';
