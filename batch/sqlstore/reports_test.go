package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/report"
)

// entryOf is a sealed record of a point check at (106+i/1e4, 29.5).
func entryOf(t testing.TB, i int) report.Entry {
	t.Helper()
	id, err := report.NewID()
	require.NoError(t, err)
	g := orb.Point{106 + float64(i)/1e4, 29.5}
	hash, err := report.GeometryHash(g)
	require.NoError(t, err)
	e, err := report.Seal(report.Record{
		ID: id, Kind: report.KindAPI, CreatedAt: time.UnixMilli(1_770_000_000_000 + int64(i)).UTC(),
		Client:      report.Client{IP: "10.0.0.1", RequestID: fmt.Sprintf("req-%d", i)},
		Request:     report.NewRequest(admission.CheckRequest{Geometry: g, BufferM: 10, Project: admission.Project{Industry: "C2614"}}),
		InputSHA256: hash, Dataset: report.Dataset{Name: "sample", Version: "1", Checksum: "sha256:00"},
		Verdict: "compatible", Result: json.RawMessage(fmt.Sprintf(`{"n":%d,"notes":["场址位于一般管控单元。"]}`, i)),
	})
	require.NoError(t, err)
	return e
}

// TestReportsSaveAndRead: an entry reads back as stored; an unknown id is
// ErrNotFound; a second entry with an id already stored fails its whole
// transaction (nothing of it is stored).
func TestReportsSaveAndRead(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		s := open(t)
		ctx := context.Background()
		a, b := entryOf(t, 1), entryOf(t, 2)
		require.NoError(t, s.SaveReports(ctx, []report.Entry{a, b}))
		got, err := s.Report(ctx, a.ID)
		require.NoError(t, err)
		rec, err := got.Open()
		require.NoError(t, err)
		want, err := a.Open()
		require.NoError(t, err)
		assert.Equal(t, want, rec)
		assert.JSONEq(t, `{"n":1,"notes":["场址位于一般管控单元。"]}`, string(rec.Result))
		assert.Equal(t, orb.Point{106.0001, 29.5}, rec.Request.Geometry.Geometry(), "coordinates round-trip exactly")

		_, err = s.Report(ctx, "R-0000000000000000")
		assert.ErrorIs(t, err, report.ErrNotFound)

		c := entryOf(t, 3)
		assert.Error(t, s.SaveReports(ctx, []report.Entry{c, b}), "b's id is taken")
		_, err = s.Report(ctx, c.ID)
		assert.ErrorIs(t, err, report.ErrNotFound, "all or nothing")
	})
}

// TestRecorderGroupCommit: many goroutines saving at once through one
// Recorder; every id handed back is stored, none twice, and commits were
// shared (fewer transactions than entries).
func TestRecorderGroupCommit(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		s := open(t)
		var commits, entries atomic.Int64
		rec := report.NewRecorder(s, report.RecorderOptions{}, func(b report.BatchStats) {
			assert.NoError(t, b.Err)
			commits.Add(1)
			entries.Add(int64(b.Entries))
		})
		const workers, each = 32, 40
		ids := make(chan string, workers*each)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					e := entryOf(t, w*each+i)
					if assert.NoError(t, rec.Save(context.Background(), e)) {
						ids <- e.ID
					}
				}
			})
		}
		wg.Wait()
		require.NoError(t, rec.Close())
		close(ids)
		seen := map[string]bool{}
		for id := range ids {
			require.False(t, seen[id], "duplicate %s", id)
			seen[id] = true
			_, err := s.Report(context.Background(), id)
			require.NoError(t, err, id)
		}
		assert.Len(t, seen, workers*each)
		assert.Equal(t, int64(workers*each), entries.Load())
		assert.Less(t, commits.Load(), int64(workers*each), "commits were shared")
		t.Logf("%d entries in %d commits", entries.Load(), commits.Load())
		assert.ErrorIs(t, rec.Save(context.Background(), entryOf(t, 0)), report.ErrClosed)
	})
}

// TestRecorderStoreDown: when the store fails, Save says so (the caller
// must not hand out the id).
func TestRecorderStoreDown(t *testing.T) {
	s := sqliteOpener(t)
	require.NoError(t, s.db.Close())
	rec := report.NewRecorder(s, report.RecorderOptions{}, nil)
	defer rec.Close()
	assert.Error(t, rec.Save(context.Background(), entryOf(t, 1)))
}
