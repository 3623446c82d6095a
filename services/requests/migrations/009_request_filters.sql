-- Mes demandes' patient filter and the services' usual time to a first answer (issue 13, B2).

-- The patient's names as searched (common/search.py: no case, no accents), written with the draft.
-- Rows from before it: lower case, the usual Latin accents taken off.
ALTER TABLE requests ADD COLUMN patient_search text NOT NULL DEFAULT '';
UPDATE requests SET patient_search = translate(
    lower(coalesce(patient->>'family_name', '') || ' ' || coalesce(patient->>'given_name', '')),
    'àáâãäåçèéêëìíîïñòóôõöøùúûüýÿ', 'aaaaaaceeeeiiiinoooooouuuuyy')
WHERE patient IS NOT NULL;

-- A median over the last 90 days' answered requests reads this index alone, nothing older.
CREATE INDEX requests_answered ON requests (submitted_at) INCLUDE (service, first_answer_at)
    WHERE first_answer_at IS NOT NULL;
