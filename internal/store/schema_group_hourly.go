package store

// The hourly aggregates by group (rollup_groups.go): the same counts as
// activity_hourly with the event's groups instead of its subject, so
// counts by group reach back the whole activity period without naming
// anybody. An event in several groups counts once under each of them,
// as an event in several categories does (the rows of one group add up
// to that group's events; the groups together add up to more than all
// events); an event with no group counts under "".
//
// activity_rollups.grouped says an hour's group rows are made (1 with the
// roll-up, "*" included; 2 made later, without "*"): hours
// rolled up before this version are counted again from their events
// (rollup_groups.go) while those are kept; the DNS events of hours
// older than the DNS retention are gone, so those hours count only the
// proxy's events by group.
var sqliteGroupHourly = []string{
	`CREATE TABLE activity_group_hourly (
		hour     BIGINT NOT NULL,
		grp      TEXT NOT NULL,
		category TEXT NOT NULL,
		verdict  TEXT NOT NULL,
		point    TEXT NOT NULL,
		count    BIGINT NOT NULL,
		PRIMARY KEY (hour, grp, category, verdict, point)
	)`,
	`ALTER TABLE activity_rollups ADD COLUMN grouped INTEGER NOT NULL DEFAULT 0`,
}

var postgresGroupHourly = sqliteGroupHourly
