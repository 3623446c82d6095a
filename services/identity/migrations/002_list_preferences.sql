-- F6 c) and d): which patients Mes patients shows, which documents Mes documents shows.
ALTER TABLE accounts
    ADD COLUMN patients_scope text NOT NULL DEFAULT 'all' CHECK (patients_scope IN ('all', 'with_unread', 'recent')),
    ADD COLUMN documents_scope text NOT NULL DEFAULT 'all' CHECK (documents_scope IN ('all', 'unread', 'last_12_months'));
