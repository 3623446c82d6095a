-- Issue 15: an account's language is its pages', emails' and SMS': one of the portal's four
-- (common/contracts/identity.py Language). Any other, from before, read as French: now it is.
UPDATE accounts SET locale = 'fr' WHERE locale NOT IN ('fr', 'de', 'it', 'en');
ALTER TABLE accounts ADD CONSTRAINT accounts_locale_known CHECK (locale IN ('fr', 'de', 'it', 'en'));
