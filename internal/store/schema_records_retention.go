package store

// The dates-of-birth migration: kept apart from the user profile (which
// many pages and audit records show) because only record retention and
// subject-access exports need them.
var sqliteBirthDates = []string{
	`CREATE TABLE birth_dates (
		username      TEXT PRIMARY KEY,
		date_of_birth TEXT NOT NULL
	)`,
}

var postgresBirthDates = sqliteBirthDates
