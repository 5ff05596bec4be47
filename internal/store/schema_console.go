package store

// Version 7: the safeguarding console's server-side sessions and its
// staff's second factor.
//
// console_sessions is keyed by the SHA-256 of the opaque id the cookie
// holds, so a copy of the database signs nobody in. verified is when the
// second factor was given (0: not yet); pending_secret holds a TOTP
// secret being enrolled until its first code proves it.
//
// console_totp keeps each person's TOTP secret (never audited, logged
// or exported), the last time step used (a code is good once) and the
// SHA-256 of each unused recovery code, one per line.
var sqliteV8 = []string{
	`CREATE TABLE console_sessions (
		id_hash        TEXT PRIMARY KEY,
		username       TEXT NOT NULL,
		created        BIGINT NOT NULL,
		seen           BIGINT NOT NULL,
		verified       BIGINT NOT NULL DEFAULT 0,
		csrf           TEXT NOT NULL,
		pending_secret TEXT NOT NULL DEFAULT '',
		address        TEXT NOT NULL DEFAULT '',
		user_agent     TEXT NOT NULL DEFAULT '')`,
	`CREATE INDEX console_sessions_user ON console_sessions (username)`,
	`CREATE TABLE console_totp (
		username  TEXT PRIMARY KEY,
		secret    TEXT NOT NULL,
		last_step BIGINT NOT NULL DEFAULT 0,
		recovery  TEXT NOT NULL DEFAULT '',
		enrolled  BIGINT NOT NULL)`,
}

var postgresV8 = sqliteV8
