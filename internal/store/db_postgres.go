package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

func (s *Store) openPostgres(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN, password included: say less.
		return fmt.Errorf("store: %w: the PostgreSQL DSN does not parse", ErrInvalid)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetMaxIdleConns(4)
	s.w, s.r = db, db
	s.pgConfig = cfg
	// A database behind a link that drops packets would otherwise hold
	// start-up for the system's TCP timeout (minutes).
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		return fmt.Errorf("store: connect to PostgreSQL %s/%s: %w: %w", cfg.Host, cfg.Database, ErrUnavailable, err)
	}
	return nil
}

// withPgx runs f on the native pgx connection under a pooled database/sql
// connection (for COPY).
func withPgx(ctx context.Context, db *sql.DB, f func(*pgx.Conn) error) error {
	c, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	return c.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: not a pgx connection: %T", dc)
		}
		return f(sc.Conn())
	})
}
