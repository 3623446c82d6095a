-- "Mon profil" (F6): specialties from the federal titles, the page shown after login, and when
-- the physician first confirmed the profile (a new account must, before anything else).
ALTER TABLE accounts
    ADD COLUMN specialties text[] NOT NULL DEFAULT '{}',
    ADD COLUMN landing_page text NOT NULL DEFAULT 'documents' CHECK (landing_page IN ('documents', 'patients')),
    ADD COLUMN profile_confirmed_at timestamptz;
-- Accounts made before profiles existed count as confirmed.
UPDATE accounts SET profile_confirmed_at = created_at;
