package indexer

import (
	"embed"
	"strings"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

func mustSQL(name string) string {
	b, err := sqlFiles.ReadFile("sql/" + name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

var (
	walLevelSQL          = mustSQL("wal_level.sql")
	publicationExistsSQL = mustSQL("publication_exists.sql")
	slotSQL              = mustSQL("slot.sql")
	slotStatsSQL         = mustSQL("slot_stats.sql")
	dropSlotSQL          = mustSQL("drop_slot.sql")
	snapshotConsumersSQL = mustSQL("snapshot_consumers.sql")
	snapshotForgetSQL    = mustSQL("snapshot_forget.sql")
	snapshotOthersSQL    = mustSQL("snapshot_forget_others.sql")
	snapshotRecordSQL    = mustSQL("snapshot_record.sql")
	importSnapshotSQL    = mustSQL("import_snapshot.sql")
	walPositionSQL       = mustSQL("wal_position.sql")
	roomTypeHotelsSQL    = mustSQL("room_type_hotels.sql")
	ratePlanParentsSQL   = mustSQL("rate_plan_parents.sql")
)

// quoteLiteral is s as an SQL string literal, for the statements that
// take no parameters (SET TRANSACTION SNAPSHOT).
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
