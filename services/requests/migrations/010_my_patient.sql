-- A patient chosen among Mes patients: `patient` holds them as the hospital does (its id), as the
-- documents service confirmed they are the physician's; `my_patient` the id Mes patients gives
-- them, so that the draft's form shows them chosen again. Null when typed by hand, or none.
ALTER TABLE requests ADD COLUMN my_patient uuid;
