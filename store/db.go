package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// querier is what the store's own SQL needs from a pool or a transaction of
// either driver. Queries use $1, $2, ... placeholders, which both
// modernc.org/sqlite and pgx accept.
type querier interface {
	exec(ctx context.Context, q string, args ...any) (rowsAffected int64, err error)
	query(ctx context.Context, q string, args ...any) (rows, error)
	queryRow(ctx context.Context, q string, args ...any) row
}

type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

type row interface {
	Scan(dest ...any) error
}

// sqlDBTX is the part of *sql.DB and *sql.Tx the store uses.
type sqlDBTX interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

type sqlQuerier struct{ db sqlDBTX }

func (s sqlQuerier) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (s sqlQuerier) query(ctx context.Context, q string, args ...any) (rows, error) {
	r, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (s sqlQuerier) queryRow(ctx context.Context, q string, args ...any) row {
	return s.db.QueryRowContext(ctx, q, args...)
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

// pgxDBTX is the part of *pgxpool.Pool and pgx.Tx the store uses.
type pgxDBTX interface {
	Exec(ctx context.Context, q string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, q string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, q string, args ...any) pgx.Row
}

type pgxQuerier struct{ db pgxDBTX }

func (p pgxQuerier) exec(ctx context.Context, q string, args ...any) (int64, error) {
	tag, err := p.db.Exec(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (p pgxQuerier) query(ctx context.Context, q string, args ...any) (rows, error) {
	return p.db.Query(ctx, q, args...)
}

func (p pgxQuerier) queryRow(ctx context.Context, q string, args ...any) row {
	return p.db.QueryRow(ctx, q, args...)
}

func isNoRows(err error) bool {
	return errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows)
}

// dialect holds what differs between the two databases in the store's own
// tables.
type dialect struct {
	blobType string
	timeType string
	timeArg  func(time.Time) any
}

// sqliteTimeFormat is fixed-width UTC, the layout SQLite's own date functions
// produce, so that stored times compare correctly as text.
const sqliteTimeFormat = "2006-01-02 15:04:05.000000"

var sqliteDialect = dialect{
	blobType: "BLOB",
	timeType: "TIMESTAMP",
	timeArg:  func(t time.Time) any { return t.UTC().Format(sqliteTimeFormat) },
}

var postgresDialect = dialect{
	blobType: "BYTEA",
	timeType: "TIMESTAMPTZ",
	timeArg:  func(t time.Time) any { return t.UTC() },
}

// timeValue scans a timestamp from either database: modernc.org/sqlite
// hands back time.Time for TIMESTAMP columns it can parse, a string
// otherwise; pgx hands back time.Time.
type timeValue struct{ t time.Time }

func (v *timeValue) Scan(src any) error {
	switch s := src.(type) {
	case time.Time:
		v.t = s.UTC()
	case string:
		return v.parse(s)
	case []byte:
		return v.parse(string(s))
	default:
		return fmt.Errorf("store: cannot scan %T as a time", src)
	}
	return nil
}

func (v *timeValue) parse(s string) error {
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999999", s, time.UTC)
	if err != nil {
		return fmt.Errorf("store: bad stored time %q", s)
	}
	v.t = t
	return nil
}

// nullTime scans a timestamp that may be NULL (the zero time).
type nullTime struct{ t time.Time }

func (v *nullTime) Scan(src any) error {
	if src == nil {
		v.t = time.Time{}
		return nil
	}
	var tv timeValue
	if err := tv.Scan(src); err != nil {
		return err
	}
	v.t = tv.t
	return nil
}

// placeholders is "$from,$from+1,..." for n parameters, as an IN list
// takes them.
func placeholders(from, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("$" + strconv.Itoa(from+i))
	}
	return b.String()
}

// writeValuesRow writes row i of a multi-row VALUES list of cols
// parameters, "($n,...)", numbered after the rows before it, with a comma
// before every row but the first.
func writeValuesRow(b *strings.Builder, i, cols int) {
	if i > 0 {
		b.WriteByte(',')
	}
	b.WriteByte('(')
	for c := 1; c <= cols; c++ {
		if c > 1 {
			b.WriteByte(',')
		}
		b.WriteString("$" + strconv.Itoa(cols*i+c))
	}
	b.WriteByte(')')
}
