-- The physician directory (F7): hospital staff find an activated physician by name (ignoring
-- case and accents), specialty, GLN or RPPS.
CREATE FUNCTION fold(value text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT lower(translate(value,
        'ÀÁÂÃÄÅàáâãäåÇçÈÉÊËèéêëÌÍÎÏìíîïÑñÒÓÔÕÖòóôõöÙÚÛÜùúûüÝýÿŒœÆæ',
        'AAAAAAaaaaaaCcEEEEeeeeIIIIiiiiNnOOOOOoooooUUUUuuuuYyyOoAa'))
$$;
CREATE INDEX accounts_directory_name ON accounts (fold(family_name || ' ' || given_name) text_pattern_ops)
    WHERE role = 'physician' AND status = 'active';
CREATE INDEX accounts_directory_specialties ON accounts USING gin (specialties)
    WHERE role = 'physician' AND status = 'active';
