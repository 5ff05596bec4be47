package store

// Change counters (changes.go): one row per kind of change, bumped in the
// same transaction as the change; every node watches them (LISTEN/NOTIFY
// on PostgreSQL as the signal, a poll of the versions as the truth). The
// overrides counter moves here from the old counters table.
//
// Ended device sign-ins (signin_ends.go) are kept so that a sign-in staff
// end on one node ends on every other node of the school too.
var sqliteChanges = []string{
	`CREATE TABLE changes (kind TEXT PRIMARY KEY, version BIGINT NOT NULL)`,
	`INSERT INTO changes (kind, version) SELECT 'overrides', value FROM counters WHERE name = 'overrides'`,
	`INSERT INTO changes (kind, version) VALUES ('users', 0), ('tokens', 0), ('sessions', 0), ('policy', 0)`,
	`DROP TABLE counters`,
	`CREATE TABLE signin_ends (
		id        INTEGER PRIMARY KEY AUTOINCREMENT,
		site      TEXT NOT NULL,
		addr      TEXT NOT NULL,
		username  TEXT NOT NULL,
		ended_at  BIGINT NOT NULL,
		until     BIGINT NOT NULL
	)`,
	`CREATE INDEX signin_ends_until ON signin_ends (until)`,
}

var postgresChanges = []string{
	`CREATE TABLE changes (kind TEXT PRIMARY KEY, version BIGINT NOT NULL)`,
	`INSERT INTO changes (kind, version) SELECT 'overrides', value FROM counters WHERE name = 'overrides'`,
	`INSERT INTO changes (kind, version) VALUES ('users', 0), ('tokens', 0), ('sessions', 0), ('policy', 0)`,
	`DROP TABLE counters`,
	`CREATE TABLE signin_ends (
		id        BIGSERIAL PRIMARY KEY,
		site      TEXT NOT NULL,
		addr      TEXT NOT NULL,
		username  TEXT NOT NULL,
		ended_at  BIGINT NOT NULL,
		until     BIGINT NOT NULL
	)`,
	`CREATE INDEX signin_ends_until ON signin_ends (until)`,
}
