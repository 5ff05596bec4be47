package store

// The activity-at-trust-scale migration (appended at the end of
// migrations): event ids, and PostgreSQL's activity partitioned by day.
//
// eid is the id the writer gives every event (activity.EventID): a spool
// replayed after the database came back, or a batch whose commit went
// through but whose answer was lost, is then stored once. SQLite's old
// events have none (NULL, outside the partial index).
//
// On PostgreSQL the activity table becomes a table partitioned by range
// of at, one partition a UTC day (activity_YYYYMMDD, made ahead and on
// demand by activity_days.go), with a DEFAULT partition so that no event
// is ever refused for want of its day's partition. Retention then drops
// whole days instead of deleting rows (retention.go). The conversion
// copies the old table's columns with LIKE (whatever columns other
// migrations have added), moves the rows, swaps the names and recreates
// every index the old table had, by its own definition, on the new one
// (where PostgreSQL makes it on each partition). A unique index on a
// partitioned table must include the partition key: eid's is (eid, at).
var sqliteActivityDays = []string{
	`ALTER TABLE activity ADD COLUMN eid BLOB`,
	`CREATE UNIQUE INDEX activity_eid ON activity (eid) WHERE eid IS NOT NULL`,
}

var postgresActivityDays = []string{
	`CREATE TABLE activity_p (LIKE activity INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMPRESSION)
		PARTITION BY RANGE (at)`,
	`CREATE TABLE activity_default PARTITION OF activity_p DEFAULT`,
	// A partition for every day the log holds, and for yesterday to three
	// days ahead (UTC; at is in microseconds).
	`DO $$
	DECLARE d bigint;
	BEGIN
		FOR d IN SELECT DISTINCT at / 86400000000 FROM activity
			UNION SELECT extract(epoch FROM now())::bigint / 86400 + k FROM generate_series(-1, 3) AS k
		LOOP
			EXECUTE format('CREATE TABLE %I PARTITION OF activity_p FOR VALUES FROM (%s) TO (%s)',
				'activity_' || to_char(to_timestamp(d * 86400) AT TIME ZONE 'UTC', 'YYYYMMDD'),
				d * 86400000000, (d + 1) * 86400000000);
		END LOOP;
	END $$`,
	`INSERT INTO activity_p SELECT * FROM activity`,
	`DO $$
	DECLARE defs text[];
	DECLARE def text;
	BEGIN
		SELECT coalesce(array_agg(indexdef), '{}') INTO defs FROM pg_indexes
			WHERE schemaname = current_schema() AND tablename = 'activity';
		DROP TABLE activity;
		ALTER TABLE activity_p RENAME TO activity;
		FOREACH def IN ARRAY defs LOOP
			EXECUTE replace(def, ' ON ONLY ', ' ON ');
		END LOOP;
	END $$`,
	// The new identity sequence goes on from the old one's rows (the
	// alert rules' cursor follows the ids).
	`SELECT setval(pg_get_serial_sequence('activity', 'id'), COALESCE((SELECT MAX(id) FROM activity), 0) + 1, false)`,
	`ALTER TABLE activity ADD COLUMN eid UUID`,
	`CREATE UNIQUE INDEX activity_eid ON activity (eid, at)`,
	`ANALYZE activity`,
}
