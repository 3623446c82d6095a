-- F6 c): Mes patients shows the patients of the last 3, 6 or 12 months, as chosen. The profile
-- offered "the last 12 months" while the list kept 90 days: that choice is now 12 months, named so.
ALTER TABLE accounts DROP CONSTRAINT accounts_patients_scope_check;
UPDATE accounts SET patients_scope = 'last_12_months' WHERE patients_scope = 'recent';
ALTER TABLE accounts
    ADD CONSTRAINT accounts_patients_scope_check
    CHECK (patients_scope IN ('all', 'with_unread', 'last_3_months', 'last_6_months', 'last_12_months'));
