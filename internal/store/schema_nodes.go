package store

// The node heartbeats migration (issue 14, node health): one row per
// serve process of a site, replaced every heartbeat. Health, not a change
// a person makes: no audit record.
var sqliteNodes = []string{
	`CREATE TABLE nodes (
		site           TEXT NOT NULL,
		name           TEXT NOT NULL,
		policy_version TEXT NOT NULL DEFAULT '',
		policy_hash    TEXT NOT NULL DEFAULT '',
		lists_age      BIGINT NOT NULL DEFAULT 0,
		qps            REAL NOT NULL DEFAULT 0,
		queue_depth    BIGINT NOT NULL DEFAULT 0,
		spool_bytes    BIGINT NOT NULL DEFAULT 0,
		last_error     TEXT NOT NULL DEFAULT '',
		started        BIGINT NOT NULL,
		last_seen      BIGINT NOT NULL,
		PRIMARY KEY (site, name))`,
}

var postgresNodes = []string{
	`CREATE TABLE nodes (
		site           TEXT NOT NULL,
		name           TEXT NOT NULL,
		policy_version TEXT NOT NULL DEFAULT '',
		policy_hash    TEXT NOT NULL DEFAULT '',
		lists_age      BIGINT NOT NULL DEFAULT 0,
		qps            DOUBLE PRECISION NOT NULL DEFAULT 0,
		queue_depth    BIGINT NOT NULL DEFAULT 0,
		spool_bytes    BIGINT NOT NULL DEFAULT 0,
		last_error     TEXT NOT NULL DEFAULT '',
		started        BIGINT NOT NULL,
		last_seen      BIGINT NOT NULL,
		PRIMARY KEY (site, name))`,
}
