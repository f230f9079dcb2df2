package sqlstore

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/internal/pgtest"
)

// TestMain stops the PostgreSQL cluster shared by the tests.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// postgresOpener opens stores in fresh databases of a throwaway
// PostgreSQL (Debian's packages; skipped when missing, except under CI).
func postgresOpener(t *testing.T) opener {
	srv := pgtest.Shared(t)
	return func(t *testing.T) *Store {
		s, err := OpenPostgres(context.Background(), srv.NewDatabase(t))
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}
}
