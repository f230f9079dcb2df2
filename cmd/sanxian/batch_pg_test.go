package main

import (
	"context"
	"database/sql"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/internal/pgtest"
)

// TestMain stops the PostgreSQL cluster shared by the tests.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// doneBy counts a job's done chunks by the replica that did them.
func doneBy(t *testing.T, db *sql.DB, id string) map[string]int {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), `SELECT owner, count(*) FROM batch_chunks WHERE job_id=$1 AND state='done' GROUP BY owner`, id)
	require.NoError(t, err)
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var owner string
		var n int
		require.NoError(t, rows.Scan(&owner, &n))
		out[owner] = n
	}
	require.NoError(t, rows.Err())
	return out
}

// TestBatchScaleOutPostgres: two replicas share one PostgreSQL job store;
// both take chunks; one is killed (-9) mid-job and the other finishes the
// job, its dead partner's chunk included, with every row exactly once and
// the answers of an uninterrupted run.
func TestBatchScaleOutPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts PostgreSQL")
	}
	url := pgtest.Shared(t).NewDatabase(t)
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()

	list := writeList(t, 12000, 4) // long enough for replica-b to join: it polls every second
	a := startProc(t, "--store", url, "--worker-id", "replica-a", "--batch-workers", "1", "--batch-lease", "3s")
	b := startProc(t, "--store", url, "--worker-id", "replica-b", "--batch-workers", "1", "--batch-lease", "3s")
	id := uploadList(t, a.base, list)
	require.Eventually(t, func() bool {
		by := doneBy(t, db, id)
		return by["replica-a"] > 0 && by["replica-b"] > 0
	}, 60*time.Second, 10*time.Millisecond, "both replicas take chunks; a: %s\nb: %s", a.stderr.String(), b.stderr.String())
	a.kill()
	var held int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM batch_chunks WHERE job_id=$1 AND state='claimed' AND owner='replica-a'`, id).Scan(&held))
	t.Logf("replica-a killed holding %d claimed chunk(s); done so far: %v", held, doneBy(t, db, id))

	done := waitFinished(t, b.base, id, 180*time.Second)
	assert.Equal(t, 12000, done.Done)
	by := doneBy(t, db, id)
	t.Logf("chunks done by replica: %v", by)
	var results, distinct int
	require.NoError(t, db.QueryRow(`SELECT count(*), count(DISTINCT seq) FROM batch_results WHERE job_id=$1`, id).Scan(&results, &distinct))
	assert.Equal(t, 12000, results, "every row has a result")
	assert.Equal(t, 12000, distinct, "and only one")

	h, rows := resultRows(t, b.base, id)
	require.Len(t, rows, 12000)
	rh, ref := referenceRun(t, list)
	assert.Equal(t, outcomes(rh, ref), outcomes(h, rows))
}
