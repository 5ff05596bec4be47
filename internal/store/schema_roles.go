package store

// Version 6: several roles per person and an accountable actor.
//
// users.role keeps its name and now holds a sorted, comma-separated list
// of roles (identity.JoinRoles): every old single value is already a list
// of one, so no row needs rewriting beyond case and the ';' an import
// could have let through; one column keeps the user queries, the import's
// idempotence check and the audit of a user unchanged.
//
// audit gains the actor's roles at the time and the operating-system
// account that ran the command. Both are hashed (the v2 canonical form);
// records without them keep the v1 form, so the old chain still verifies.
var sqliteV6 = []string{
	`UPDATE users SET role = lower(trim(replace(role, ';', ',')))`,
	`ALTER TABLE audit ADD COLUMN actor_roles TEXT NOT NULL DEFAULT ''`,
	`ALTER TABLE audit ADD COLUMN os_user TEXT NOT NULL DEFAULT ''`,
}

var postgresV6 = sqliteV6
