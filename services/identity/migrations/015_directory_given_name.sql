-- The directory also finds "given family" from the start (e.g. "Élodie Mül").
CREATE INDEX accounts_directory_given_name ON accounts (fold(given_name || ' ' || family_name) text_pattern_ops)
    WHERE role = 'physician' AND status = 'active';
