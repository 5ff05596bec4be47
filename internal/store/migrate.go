package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// migration is one schema step. Each runs in its own transaction, with the
// version recorded in the same transaction, so a failed step leaves the
// schema at the previous version.
type migration struct {
	name     string
	sqlite   []string
	postgres []string
}

// migrations is the ordered schema history. Append only: never edit a
// step that has shipped.
var migrations = []migration{
	{name: "initial schema", sqlite: sqliteV1, postgres: postgresV1},
	{name: "activity: reversed hosts, block-partitioned indexes", sqlite: sqliteV2, postgres: postgresV2},
	{name: "activity: block page reference numbers", sqlite: sqliteV3, postgres: postgresV3},
	{name: "activity: hourly aggregates rolled up from the events", sqlite: sqliteV4, postgres: postgresV4},
	{name: "overrides: a client address as the subject", sqlite: sqliteV5, postgres: postgresV5},
	{name: "users: several roles; audit: the actor's roles and OS account", sqlite: sqliteV6, postgres: postgresV6},
	{name: "secrets; requests and concerns: folded repeats, closing time", sqlite: sqliteV7, postgres: postgresV7},
	{name: "console: sessions and second factors", sqlite: sqliteV8, postgres: postgresV8},
	{name: "concerns: notes", sqlite: concernNotesV, postgres: concernNotesPG},
	{name: "console: API bearer tokens", sqlite: sqliteAPITokens, postgres: postgresAPITokens},
	{name: "incidents: the reporting log, its entries and evidence", sqlite: sqliteIncidents, postgres: postgresIncidents},
	{name: "users: dates of birth, for record retention", sqlite: sqliteBirthDates, postgres: postgresBirthDates},
	{name: "subject access: requests and withheld items", sqlite: sqliteSubjectAccess, postgres: postgresSubjectAccess},
	{name: "identity: OpenID Connect subjects bound to people", sqlite: sqliteOIDC, postgres: postgresOIDC},
	{name: "investigations: the Appendix G record, its sites, screenshots, signatures, referrals and monitored browsing", sqlite: sqliteInvestigations, postgres: postgresInvestigations},
	{name: "sanctions: actions taken for an incident, removal of access, technical tasks", sqlite: sqliteSanctions, postgres: postgresSanctions},
	{name: "checks: filtering checks, reviews and findings", sqlite: sqliteChecks, postgres: postgresChecks},
	{name: "alerts: alerts, their events and notes, the rules' cursor", sqlite: sqliteAlerts, postgres: postgresAlerts},
	{name: "activity: hourly aggregates by group", sqlite: sqliteGroupHourly, postgres: postgresGroupHourly},
	{name: "acceptable use: versions published from the console", sqlite: sqliteAUAVersions, postgres: postgresAUAVersions},
	{name: "changes: counters every node watches (LISTEN/NOTIFY on PostgreSQL); ended device sign-ins", sqlite: sqliteChanges, postgres: postgresChanges},
	{name: "policy: versions pushed to the database, and their lists", sqlite: sqlitePolicyVersions, postgres: postgresPolicyVersions},
	{name: "sites: the schools of a trust; the older tables carry their site", sqlite: sqliteSites, postgres: postgresSites},
	{name: "nodes: each serve process's heartbeat", sqlite: sqliteNodes, postgres: postgresNodes},
	{name: "activity: event ids; PostgreSQL partitioned by day", sqlite: sqliteActivityDays, postgres: postgresActivityDays},
}

// migrate applies the pending migrations, up to version upTo (tests stop
// early to build an old schema).
func (s *Store) migrate(ctx context.Context, upTo int) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_version (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("store: schema_version: %w", err)
	}
	for {
		var v sql.NullInt64
		if err := s.w.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&v); err != nil {
			return fmt.Errorf("store: schema version: %w", err)
		}
		cur := int(v.Int64)
		if cur > len(migrations) {
			return fmt.Errorf("store: %w: version %d, this program knows %d", ErrSchemaTooNew, cur, len(migrations))
		}
		if cur >= upTo {
			return nil
		}
		if err := s.applyMigration(ctx, cur+1); err != nil {
			return err
		}
	}
}

func (s *Store) applyMigration(ctx context.Context, version int) error {
	m := migrations[version-1]
	stmts := m.sqlite
	if s.dialect == Postgres {
		stmts = m.postgres
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migration %d: %w", version, err)
	}
	defer tx.Rollback()
	if s.dialect == Postgres {
		// Two nodes starting at once: one migrates, the other waits and
		// then finds nothing to do.
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7311)`); err != nil {
			return fmt.Errorf("store: migration lock: %w", err)
		}
		var done bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS(SELECT 1 FROM schema_version WHERE version = $1)`, version).Scan(&done); err != nil {
			return fmt.Errorf("store: migration %d: %w", version, err)
		}
		if done {
			return nil
		}
	}
	for i, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("store: migration %d (%s) statement %d: %w: %s", version, m.name, i+1, err, firstLine(q))
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)`,
		version, m.name, micro(s.now())); err != nil {
		return fmt.Errorf("store: migration %d: %w", version, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %d: %w", version, err)
	}
	s.log.Info("database migrated", "version", version, "name", m.name, "dialect", string(s.dialect))
	return nil
}

// SchemaVersion is the applied schema version.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT MAX(version) FROM schema_version`).Scan(&v)
	return int(v.Int64), err
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
