package store

// The OIDC bindings migration: a person signed in through an OpenID
// provider is bound to the provider's immutable subject, so that a
// renamed or recycled e-mail address cannot take the account over.
var sqliteOIDC = []string{
	`CREATE TABLE oidc_bindings (
		provider TEXT NOT NULL,
		subject  TEXT NOT NULL,
		username TEXT NOT NULL,
		created  BIGINT NOT NULL,
		PRIMARY KEY (provider, subject),
		UNIQUE (provider, username)
	)`,
}

var postgresOIDC = sqliteOIDC
