// Package store is Schoolgate's storage layer: one concrete Store over
// either embedded SQLite (the default, a file in the data directory) or
// PostgreSQL (for trusts that run several nodes), with plain SQL written
// once ($1 placeholders work on both), ordered per-dialect migrations and a
// hash-chained audit trail written in the same transaction as every
// administrative change.
//
// The methods, one file per entity:
//
//	Users (users.go, import.go, directory.go):
//	  CreateUser, UpdateUser, SetPassword, DisableUser, GetUser, ListUsers,
//	  ImportUsers; Directory implements identity.Directory (Authenticate,
//	  Lookup) with argon2id and per-client/per-account rate limits.
//	Live overrides (overrides.go, feed.go):
//	  CreateOverride, RevokeOverride, GetOverride, ListOverrides,
//	  ActiveOverrides; OverrideFeed keeps engine.SetOverrides current.
//	Changes between nodes (changes.go, changes_watch.go):
//	  every change bumps its kind's counter in its own transaction (and
//	  NOTIFYs on PostgreSQL); WatchChanges tells each consumer what moved.
//	  Warn click-throughs are overrides of kind "continue" (RecordContinue).
//	Filter-change requests (requests.go):
//	  CreateRequest, GetRequest, ListRequests, ApproveRequest, DenyRequest.
//	Concerns (concerns.go):
//	  CreateConcern, GetConcern, ListConcerns, SetConcernStatus.
//	Acceptable use (aua.go):
//	  AcceptAUA, HasAccepted, ListAcceptances, NotAccepted.
//	Activity (activity.go, search.go, retention.go):
//	  InsertEvents (multi-row INSERT on SQLite, COPY on PostgreSQL),
//	  WriteConcurrency, SearchActivity, Rollup (rollup.go: hourly
//	  aggregates made from the events once an hour has ended), Summarize
//	  (summary.go), Purge, RunRetention.
//	Audit (audit.go):
//	  Audit (a record on its own), AuditHead, VerifyAudit, ListAudit.
//
// Every method that changes administrative state takes an Actor (who, and
// from where) and writes its audit record in the same transaction.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Sentinel errors.
var (
	ErrNotFound      = errors.New("not found")
	ErrExists        = errors.New("already exists")
	ErrInvalid       = errors.New("invalid")
	ErrNotPending    = errors.New("request already decided")
	ErrIllegal       = errors.New("illegal categories can never be unblocked")
	ErrAuditBroken   = errors.New("audit trail broken")
	ErrNoDatabase    = errors.New("no database given")
	ErrSchemaTooNew  = errors.New("database schema is newer than this program")
	ErrWeakPassword  = errors.New("password too weak")
	ErrSharedAccount = errors.New("shared log-on not allowed")
)

// Dialect is the SQL back end.
type Dialect string

// The two back ends.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Options open a Store. Give exactly one of SQLitePath and PostgresDSN.
type Options struct {
	SQLitePath  string
	PostgresDSN string
	Logger      *slog.Logger
	// Now is the clock (tests inject one); nil means time.Now.
	Now func() time.Time
	// OSUser is the operating-system account of this process, recorded
	// in every audit record whose actor does not give one (a request
	// from the block page, a retention purge under serve).
	OSUser string
	// SecretKeyFile is the at-rest key of the second-factor secrets
	// (seal.go). MakeSecretKey (serve) makes it when the database has no
	// key yet and requires it after; without it (commands run elsewhere,
	// tests), a missing file gives a key for this process only, which
	// opens no sealed secret.
	SecretKeyFile string
	MakeSecretKey bool
	// Deferred (serve on PostgreSQL): a database that does not answer at
	// Open is no error; the Store comes back unreachable and RunHealth
	// connects, migrates and checks the key when it answers (offline.go).
	Deferred bool
	// schemaVersion stops the migrations at that version (tests of the
	// migrations; 0 means all of them).
	schemaVersion int
}

// Store is the database. It is safe for concurrent use.
type Store struct {
	dialect Dialect
	// w takes every write: a single connection on SQLite (so writes never
	// fight over the lock), the pool itself on PostgreSQL.
	w *sql.DB
	// r serves reads concurrently.
	r   *sql.DB
	log *slog.Logger
	now func() time.Time
	// osUser is Options.OSUser.
	osUser string
	// changes is the one watcher of the change counters
	// (changes_watch.go); pgConfig is the PostgreSQL connection's, for
	// its LISTEN connection (nil on SQLite).
	changes  *changeHub
	pgConfig *pgx.ConnConfig
	// ckpt is SQLite's checkpointer connection (nil on PostgreSQL);
	// stopCkpt stops its goroutine and waits for it.
	ckpt     *sql.DB
	stopCkpt func()
	// insAct is SQLite's prepared activity statement (activityStmt).
	insMu  sync.Mutex
	insAct *sql.Stmt
	// seal keeps the second-factor secrets encrypted at rest (set once
	// the key is checked; sealer() reads it).
	seal atomic.Pointer[sealer]
	// health is whether the database answers (offline.go).
	health health
	// counts keeps the console's anonymous counts a few seconds
	// (console_counts.go).
	counts countsCache
	// live keeps running counts of the hours not rolled up yet
	// (live_counts.go).
	live liveCounts
	// days are PostgreSQL's activity partitions known to exist
	// (activity_days.go).
	days dayPartitions
}

// Actor says who made a change and from where (an IP, "cli@host").
type Actor struct {
	Name string
	From string
	// Roles are the actor's roles when the change was made (a comma-
	// separated list, identity.JoinRoles), when the actor is a directory
	// person; OSUser is the operating-system account that ran the
	// command (os/user, not $USER). Both go into the audit record.
	Roles  string
	OSUser string
	// Site is the actor's site scope (a school, or "*" for the trust's
	// staff); the audit record is kept under it ("school" when unset).
	Site string
}

// Open connects, applies any pending migrations and returns the Store.
func Open(ctx context.Context, opt Options) (*Store, error) {
	s := &Store{log: opt.Logger, now: opt.Now, osUser: opt.OSUser, changes: newChangeHub()}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	var err error
	switch {
	case opt.PostgresDSN != "" && opt.SQLitePath != "":
		return nil, fmt.Errorf("store: %w: give SQLite or PostgreSQL, not both", ErrInvalid)
	case opt.PostgresDSN != "":
		s.dialect = Postgres
		err = s.openPostgres(ctx, opt.PostgresDSN)
		if err != nil && opt.Deferred && s.w != nil {
			return s.deferOpen(opt, err), nil
		}
		if err != nil && s.w != nil {
			s.w.Close()
		}
	case opt.SQLitePath != "":
		s.dialect = SQLite
		err = s.openSQLite(ctx, opt.SQLitePath)
	default:
		return nil, fmt.Errorf("store: %w", ErrNoDatabase)
	}
	if err != nil {
		return nil, err
	}
	upTo := len(migrations)
	if opt.schemaVersion > 0 {
		upTo = opt.schemaVersion
	}
	if err := s.migrate(ctx, upTo); err != nil {
		s.Close()
		return nil, err
	}
	if upTo >= len(migrations) {
		if err := s.setupSeal(ctx, opt.SecretKeyFile, opt.MakeSecretKey); err != nil {
			s.Close()
			return nil, err
		}
	}
	s.health.set(true, nil)
	if s.ckpt != nil {
		bg, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go runCheckpointer(bg, s.ckpt, done, s.log.Warn)
		s.stopCkpt = func() { cancel(); <-done }
	}
	return s, nil
}

// Dialect reports the back end.
func (s *Store) Dialect() Dialect { return s.dialect }

// WriteConcurrency is how many activity batches are best written at once:
// one on SQLite (one writer), two on PostgreSQL, whose server applies each
// COPY in a single backend process, so a second connection puts the second
// core to work.
func (s *Store) WriteConcurrency() int {
	if s.dialect == Postgres {
		return 2
	}
	return 1
}

// Close closes the database.
func (s *Store) Close() error {
	s.changes.close()
	if s.stopCkpt != nil {
		s.stopCkpt()
	}
	var err error
	if s.insAct != nil {
		err = errors.Join(err, s.insAct.Close())
	}
	if s.ckpt != nil {
		err = errors.Join(err, s.ckpt.Close())
	}
	// The writer last: closing SQLite's last connection checkpoints.
	if s.r != s.w {
		err = errors.Join(err, s.r.Close())
	}
	return errors.Join(err, s.w.Close())
}

// Now is the store's clock.
func (s *Store) Now() time.Time { return s.now() }

// micro and fromMicro convert times to the stored form: microseconds since
// the Unix epoch, the same on both back ends.
func micro(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

func fromMicro(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMicro(v).UTC()
}
