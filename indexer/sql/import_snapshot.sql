-- Makes this repeatable-read transaction see the database as the slot's
-- exported snapshot does (must be its first statement).
-- $1 snapshot name, interpolated as a literal: SET takes no parameters.
SET TRANSACTION SNAPSHOT
