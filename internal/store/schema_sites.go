package store

// The sites migration (issue 14): a trust runs several schools from one
// database, so the school is first-class. The sites table names them; the
// tables that existed before a school's data carried its site gain a site
// column, 'school' (config.DefaultSiteID) for every row a single-school
// install already holds. People made for the trust have the site '*'
// (AllSites). The hourly aggregates are keyed by site as well, so one
// school's counts never add into another's.
var sqliteSites = []string{
	`CREATE TABLE sites (
		id         TEXT PRIMARY KEY,
		name       TEXT NOT NULL DEFAULT '',
		created_at BIGINT NOT NULL)`,
	`ALTER TABLE users ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE requests ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE overrides ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE concerns ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE activity ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE api_tokens ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE console_sessions ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE audit ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`CREATE INDEX users_site ON users (site, username)`,
	`CREATE INDEX requests_site_status ON requests (site, status, created)`,
	`CREATE INDEX overrides_site_until ON overrides (site, until)`,
	`CREATE INDEX concerns_site_status ON concerns (site, status, closed_at)`,
	`CREATE INDEX audit_site ON audit (site, id)`,
	// SQLite cannot change a primary key: the aggregates are rebuilt.
	`CREATE TABLE activity_hourly_sites (
		site     TEXT NOT NULL DEFAULT 'school',
		hour     BIGINT NOT NULL,
		subject  TEXT NOT NULL,
		category TEXT NOT NULL,
		verdict  TEXT NOT NULL,
		point    TEXT NOT NULL,
		count    BIGINT NOT NULL,
		PRIMARY KEY (hour, site, subject, category, verdict, point))`,
	`INSERT INTO activity_hourly_sites (hour, subject, category, verdict, point, count)
		SELECT hour, subject, category, verdict, point, count FROM activity_hourly`,
	`DROP TABLE activity_hourly`,
	`ALTER TABLE activity_hourly_sites RENAME TO activity_hourly`,
	`CREATE TABLE activity_group_hourly_sites (
		site     TEXT NOT NULL DEFAULT 'school',
		hour     BIGINT NOT NULL,
		grp      TEXT NOT NULL,
		category TEXT NOT NULL,
		verdict  TEXT NOT NULL,
		point    TEXT NOT NULL,
		count    BIGINT NOT NULL,
		PRIMARY KEY (hour, site, grp, category, verdict, point))`,
	`INSERT INTO activity_group_hourly_sites (hour, grp, category, verdict, point, count)
		SELECT hour, grp, category, verdict, point, count FROM activity_group_hourly`,
	`DROP TABLE activity_group_hourly`,
	`ALTER TABLE activity_group_hourly_sites RENAME TO activity_group_hourly`,
}

var postgresSites = []string{
	`CREATE TABLE sites (
		id         TEXT PRIMARY KEY,
		name       TEXT NOT NULL DEFAULT '',
		created_at BIGINT NOT NULL)`,
	`ALTER TABLE users ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE requests ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE overrides ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE concerns ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE activity ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE api_tokens ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE console_sessions ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE audit ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`CREATE INDEX users_site ON users (site, username)`,
	`CREATE INDEX requests_site_status ON requests (site, status, created)`,
	`CREATE INDEX overrides_site_until ON overrides (site, until)`,
	`CREATE INDEX concerns_site_status ON concerns (site, status, closed_at)`,
	`CREATE INDEX audit_site ON audit (site, id)`,
	`ALTER TABLE activity_hourly ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE activity_hourly DROP CONSTRAINT activity_hourly_pkey`,
	`ALTER TABLE activity_hourly ADD PRIMARY KEY (hour, site, subject, category, verdict, point)`,
	`ALTER TABLE activity_group_hourly ADD COLUMN site TEXT NOT NULL DEFAULT 'school'`,
	`ALTER TABLE activity_group_hourly DROP CONSTRAINT activity_group_hourly_pkey`,
	`ALTER TABLE activity_group_hourly ADD PRIMARY KEY (hour, site, grp, category, verdict, point)`,
}
