-- Every hotel, in id order: the documents of a rebuild.
SELECT id FROM hotels ORDER BY id;
