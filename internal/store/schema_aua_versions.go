package store

// Acceptable-use agreement versions published from the console
// (aua_versions.go): each a group's text and version, kept for good, the
// newest of a group taking precedence over the policy file's aua: entry.
var sqliteAUAVersions = []string{
	`CREATE TABLE aua_versions (
		site         TEXT NOT NULL,
		grp          TEXT NOT NULL,
		version      TEXT NOT NULL,
		text         TEXT NOT NULL,
		published_at BIGINT NOT NULL,
		published_by TEXT NOT NULL,
		PRIMARY KEY (site, grp, version)
	)`,
	`CREATE INDEX aua_versions_newest ON aua_versions (site, grp, published_at)`,
}

var postgresAUAVersions = sqliteAUAVersions
