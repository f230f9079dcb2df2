package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/batch"
)

// opener opens an empty store for a test.
type opener func(t *testing.T) *Store

func sqliteOpener(t *testing.T) *Store {
	s, err := OpenSQLite(context.Background(), t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// forEachStore runs fn against every store kind available.
func forEachStore(t *testing.T, fn func(t *testing.T, open opener)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, sqliteOpener) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresOpener(t)) })
}

// rowsOf yields n point rows; row i is at (106+i/1000, 29.5).
func rowsOf(n int) iter.Seq2[batch.Row, error] {
	return func(yield func(batch.Row, error) bool) {
		for i := 0; i < n; i++ {
			r := batch.Row{Line: i + 2, Cells: []string{fmt.Sprintf("项目%d", i), "C2614"}, Name: fmt.Sprintf("项目%d", i), Industry: "C2614",
				Geometry: orb.Point{106 + float64(i)/1000, 29.5}}
			if i%7 == 3 {
				r.Geometry = nil
				r.Error = &batch.RowError{Code: batch.ErrCodeMissingSite, Message: "第 x 行：没有项目位置"}
			}
			if !yield(r, nil) {
				return
			}
		}
	}
}

func newJob() batch.Job {
	return batch.Job{Name: "测试", FileName: "list.csv", Header: batch.Header{Columns: []string{"项目名称", "行业代码"}, Roles: map[string]int{"name": 0, "industry": 1}}, Options: batch.Options{BufferM: 100}}
}

// fakeResults makes one result per row of c: outcome by Seq.
func fakeResults(c batch.Chunk) ([]batch.Result, []batch.Clause) {
	var out []batch.Result
	for seq := c.First; seq <= c.Last; seq++ {
		o := batch.Outcomes[seq%len(batch.Outcomes)]
		out = append(out, batch.Result{Seq: seq, Outcome: o, Label: batch.OutcomeLabel(o), Clauses: []string{fmt.Sprintf("CL-%d", seq%3)}, Dataset: "sample@1"})
	}
	return out, []batch.Clause{{ID: fmt.Sprintf("CL-%d", c.No%3), Text: "条款"}}
}

func TestCreateAndRead(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		s := open(t)
		job, err := s.Create(ctx, newJob(), rowsOf(45), 10, 0)
		require.NoError(t, err)
		assert.Equal(t, 45, job.Total)
		assert.Equal(t, batch.StatusQueued, job.Status)
		got, err := s.Job(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, job.Header, got.Header)
		assert.Equal(t, 2, got.Header.Width, "the widest row has two cells")
		assert.Equal(t, job.Options, got.Options)
		assert.Equal(t, 0, got.Done)
		assert.True(t, job.CreatedAt.Equal(got.CreatedAt), "created %v vs %v", job.CreatedAt, got.CreatedAt)

		var seen []batch.Row
		require.NoError(t, s.Results(ctx, job.ID, 0, 0, func(r batch.Row, res *batch.Result) error {
			assert.Nil(t, res)
			seen = append(seen, r)
			return nil
		}))
		require.Len(t, seen, 45)
		for i, r := range seen {
			assert.Equal(t, i, r.Seq)
			assert.Equal(t, i+2, r.Line)
		}
		assert.Equal(t, orb.Point{106.001, 29.5}, seen[1].Geometry)
		assert.Nil(t, seen[3].Geometry)
		assert.Equal(t, batch.ErrCodeMissingSite, seen[3].Error.Code)
		assert.Equal(t, []string{"项目44", "C2614"}, seen[44].Cells)

		// A window.
		var window []int
		require.NoError(t, s.Results(ctx, job.ID, 40, 3, func(r batch.Row, _ *batch.Result) error {
			window = append(window, r.Seq)
			return nil
		}))
		assert.Equal(t, []int{40, 41, 42}, window)

		_, err = s.Job(ctx, "nope")
		assert.ErrorIs(t, err, batch.ErrNotFound)
		assert.ErrorIs(t, s.Results(ctx, "nope", 0, 0, func(batch.Row, *batch.Result) error { return nil }), batch.ErrNotFound)
	})
}

func TestCreateIsAllOrNothing(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		s := open(t)
		boom := errors.New("第 5 行之后文件损坏")
		failing := func(yield func(batch.Row, error) bool) {
			for r, err := range rowsOf(5) {
				if !yield(r, err) {
					return
				}
			}
			yield(batch.Row{}, boom)
		}
		_, err := s.Create(ctx, newJob(), failing, 2, 0)
		assert.ErrorIs(t, err, boom)
		_, err = s.Create(ctx, newJob(), rowsOf(11), 2, 10)
		assert.ErrorIs(t, err, batch.ErrTooManyRows)
		jobs, err := s.Jobs(ctx, 10)
		require.NoError(t, err)
		assert.Empty(t, jobs)
		c, err := s.Claim(ctx, "w", time.Minute)
		require.NoError(t, err)
		assert.Nil(t, c, "no chunk may survive a failed create")

		// An empty list is a finished job with no rows.
		job, err := s.Create(ctx, newJob(), rowsOf(0), 2, 10)
		require.NoError(t, err)
		assert.Equal(t, batch.StatusFinished, job.Status)
	})
}

func TestClaimCompleteFinish(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		s := open(t)
		first, err := s.Create(ctx, newJob(), rowsOf(25), 10, 0)
		require.NoError(t, err)
		second, err := s.Create(ctx, newJob(), rowsOf(5), 10, 0)
		require.NoError(t, err)
		// Oldest job first, chunks in order.
		var chunks []batch.Chunk
		for i := 0; i < 4; i++ {
			c, err := s.Claim(ctx, "w1", time.Minute)
			require.NoError(t, err)
			require.NotNil(t, c)
			chunks = append(chunks, *c)
		}
		assert.Equal(t, []string{first.ID, first.ID, first.ID, second.ID}, []string{chunks[0].JobID, chunks[1].JobID, chunks[2].JobID, chunks[3].JobID})
		assert.Equal(t, [2]int{20, 24}, [2]int{chunks[2].First, chunks[2].Last})
		c, err := s.Claim(ctx, "w1", time.Minute)
		require.NoError(t, err)
		assert.Nil(t, c, "everything is claimed")

		j, _ := s.Job(ctx, first.ID)
		assert.Equal(t, batch.StatusRunning, j.Status)
		assert.NotNil(t, j.StartedAt)

		rows, err := s.Rows(ctx, chunks[1])
		require.NoError(t, err)
		require.Len(t, rows, 10)
		assert.Equal(t, 10, rows[0].Seq)

		// Wrong number of results is refused.
		res, cl := fakeResults(chunks[0])
		assert.Error(t, s.Complete(ctx, chunks[0], res[:3], cl))

		want := map[string]int{}
		for _, ch := range chunks[:3] {
			res, cl := fakeResults(ch)
			require.NoError(t, s.Complete(ctx, ch, res, cl))
			for _, r := range res {
				want[r.Outcome]++
			}
		}
		j, err = s.Job(ctx, first.ID)
		require.NoError(t, err)
		assert.Equal(t, batch.StatusFinished, j.Status)
		assert.Equal(t, 25, j.Done)
		assert.NotNil(t, j.FinishedAt)
		assert.Equal(t, "sample@1", j.Dataset)
		for _, o := range batch.Outcomes {
			assert.Equal(t, want[o], j.Counts[o], o)
		}
		// Completing twice records nothing more.
		res, cl = fakeResults(chunks[0])
		assert.ErrorIs(t, s.Complete(ctx, chunks[0], res, cl), batch.ErrClaimLost)

		clauses, err := s.Clauses(ctx, first.ID)
		require.NoError(t, err)
		assert.Len(t, clauses, 3)

		n := 0
		require.NoError(t, s.Results(ctx, first.ID, 0, 0, func(r batch.Row, res *batch.Result) error {
			require.NotNil(t, res)
			assert.Equal(t, r.Seq, res.Seq)
			n++
			return nil
		}))
		assert.Equal(t, 25, n)
	})
}

// A chunk checked on another dataset version than the job's results so
// far makes the job start over on that version: the old results go, the
// other chunks are pending again (a claim held across the switch is
// lost), and at the end every row has one result, all of the new version.
func TestVersionSwitchStartsOver(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		s := open(t)
		job, err := s.Create(ctx, newJob(), rowsOf(30), 10, 0)
		require.NoError(t, err)
		claim := func() batch.Chunk {
			t.Helper()
			c, err := s.Claim(ctx, "w", time.Minute)
			require.NoError(t, err)
			require.NotNil(t, c)
			return *c
		}
		complete := func(c batch.Chunk, dataset string) error {
			res, cl := fakeResults(c)
			for i := range res {
				res[i].Dataset = dataset
			}
			return s.Complete(ctx, c, res, cl)
		}
		c0, c1, c2 := claim(), claim(), claim()
		require.NoError(t, complete(c0, "样例@1"))
		require.NoError(t, complete(c1, "样例@1"), "same version: no restart")
		j, err := s.Job(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, 20, j.Done)
		assert.Zero(t, j.Restarts)

		// The service switched: c2 was checked on version 2.
		require.NoError(t, complete(c2, "样例@2"))
		j, err = s.Job(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, batch.StatusRunning, j.Status)
		assert.Equal(t, 10, j.Done, "only the new version's chunk counts")
		assert.Equal(t, "样例@2", j.Dataset)
		assert.Equal(t, 1, j.Restarts)
		assert.Equal(t, "样例@1", j.PreviousDataset)
		total := 0
		for _, n := range j.Counts {
			total += n
		}
		assert.Equal(t, 10, total, "counts are the new version's")

		// c0 and c1 are to do again; a stale claim on c0 (a worker that
		// had it before the switch) is lost.
		a, b := claim(), claim()
		assert.ElementsMatch(t, []int{c0.No, c1.No}, []int{a.No, b.No})
		assert.ErrorIs(t, complete(c0, "样例@1"), batch.ErrClaimLost)
		require.NoError(t, complete(a, "样例@2"))
		require.NoError(t, complete(b, "样例@2"))
		j, err = s.Job(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, batch.StatusFinished, j.Status)
		assert.Equal(t, 30, j.Done)
		assert.Equal(t, 1, j.Restarts)
		seen := map[int]bool{}
		require.NoError(t, s.Results(ctx, job.ID, 0, 0, func(r batch.Row, res *batch.Result) error {
			require.NotNil(t, res, "row %d", r.Seq)
			assert.Equal(t, "样例@2", res.Dataset, "row %d", r.Seq)
			assert.False(t, seen[r.Seq])
			seen[r.Seq] = true
			return nil
		}))
		assert.Len(t, seen, 30)
	})
}

// A store created before batch_jobs had restarts and previous_dataset
// gets them when it opens: its jobs read back with zero restarts.
func TestMigrateAddsColumns(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		s := open(t)
		job, err := s.Create(ctx, newJob(), rowsOf(5), 10, 0)
		require.NoError(t, err)
		for _, col := range []string{"restarts", "previous_dataset"} {
			_, err := s.db.ExecContext(ctx, `ALTER TABLE batch_jobs DROP COLUMN `+col)
			require.NoError(t, err)
		}
		_, err = s.Job(ctx, job.ID)
		require.Error(t, err, "the columns are gone")
		require.NoError(t, s.migrate(ctx, ""))
		require.NoError(t, s.migrate(ctx, ""), "migrating twice changes nothing")
		j, err := s.Job(ctx, job.ID)
		require.NoError(t, err)
		assert.Zero(t, j.Restarts)
		assert.Empty(t, j.PreviousDataset)
	})
}

func TestLeaseTakeover(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		s := open(t)
		clock := time.Now()
		s.now = func() time.Time { return clock }
		job, err := s.Create(ctx, newJob(), rowsOf(4), 10, 0)
		require.NoError(t, err)
		a, err := s.Claim(ctx, "a", time.Minute)
		require.NoError(t, err)
		require.NotNil(t, a)
		c, err := s.Claim(ctx, "b", time.Minute)
		require.NoError(t, err)
		assert.Nil(t, c, "a's lease holds")
		clock = clock.Add(61 * time.Second)
		b, err := s.Claim(ctx, "b", time.Minute)
		require.NoError(t, err)
		require.NotNil(t, b, "a's lease ran out")
		assert.Equal(t, a.No, b.No)
		res, cl := fakeResults(*a)
		assert.ErrorIs(t, s.Complete(ctx, *a, res, cl), batch.ErrClaimLost, "a was too slow")
		j, _ := s.Job(ctx, job.ID)
		assert.Equal(t, 0, j.Done)
		res, cl = fakeResults(*b)
		require.NoError(t, s.Complete(ctx, *b, res, cl))
		j, _ = s.Job(ctx, job.ID)
		assert.Equal(t, 4, j.Done)
		assert.Equal(t, batch.StatusFinished, j.Status)
	})
}

func TestCancelAndExpire(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		s := open(t)
		clock := time.Now()
		s.now = func() time.Time { return clock }
		job, err := s.Create(ctx, newJob(), rowsOf(20), 10, 0)
		require.NoError(t, err)
		c, err := s.Claim(ctx, "w", time.Minute)
		require.NoError(t, err)
		got, err := s.Cancel(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, batch.StatusCancelled, got.Status)
		res, cl := fakeResults(*c)
		assert.ErrorIs(t, s.Complete(ctx, *c, res, cl), batch.ErrNotActive)
		next, err := s.Claim(ctx, "w", time.Minute)
		require.NoError(t, err)
		assert.Nil(t, next, "a cancelled job's chunks are not handed out")
		again, err := s.Cancel(ctx, job.ID)
		require.NoError(t, err)
		assert.Equal(t, got.FinishedAt, again.FinishedAt, "cancelling twice changes nothing")
		_, err = s.Cancel(ctx, "nope")
		assert.ErrorIs(t, err, batch.ErrNotFound)

		live, err := s.Create(ctx, newJob(), rowsOf(3), 10, 0)
		require.NoError(t, err)
		n, err := s.Expire(ctx, clock.Add(-time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 0, n, "not old enough")
		n, err = s.Expire(ctx, clock.Add(time.Hour))
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		_, err = s.Job(ctx, job.ID)
		assert.ErrorIs(t, err, batch.ErrNotFound)
		_, err = s.Job(ctx, live.ID)
		assert.NoError(t, err, "a queued job never expires")
	})
}

// TestConcurrentWorkersExactlyOnce: workers with short leases race over
// two jobs; some of them stall past their lease. Every row ends up with
// exactly one result and the counters match.
func TestConcurrentWorkersExactlyOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, open opener) {
		ctx := context.Background()
		s := open(t)
		j1, err := s.Create(ctx, newJob(), rowsOf(300), 7, 0)
		require.NoError(t, err)
		j2, err := s.Create(ctx, newJob(), rowsOf(120), 11, 0)
		require.NoError(t, err)
		var wg sync.WaitGroup
		var mu sync.Mutex
		lost := 0
		for w := 0; w < 6; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					c, err := s.Claim(ctx, fmt.Sprintf("w%d", w), 50*time.Millisecond)
					if !assert.NoError(t, err) {
						return
					}
					if c == nil {
						// Maybe a stalled claim is still to run out.
						j1n, _ := s.Job(ctx, j1.ID)
						j2n, _ := s.Job(ctx, j2.ID)
						if j1n.Status == batch.StatusFinished && j2n.Status == batch.StatusFinished {
							return
						}
						time.Sleep(10 * time.Millisecond)
						continue
					}
					if (w+i)%9 == 0 {
						time.Sleep(80 * time.Millisecond) // past the lease
					}
					res, cl := fakeResults(*c)
					err = s.Complete(ctx, *c, res, cl)
					if errors.Is(err, batch.ErrClaimLost) {
						mu.Lock()
						lost++
						mu.Unlock()
						continue
					}
					assert.NoError(t, err)
				}
			}()
		}
		wg.Wait()
		t.Logf("claims lost to a takeover: %d", lost)
		for _, j := range []batch.Job{j1, j2} {
			got, err := s.Job(ctx, j.ID)
			require.NoError(t, err)
			assert.Equal(t, batch.StatusFinished, got.Status)
			assert.Equal(t, j.Total, got.Done)
			sum := 0
			for _, n := range got.Counts {
				sum += n
			}
			assert.Equal(t, j.Total, sum)
			seqs := map[int]int{}
			require.NoError(t, s.Results(ctx, j.ID, 0, 0, func(r batch.Row, res *batch.Result) error {
				require.NotNil(t, res, "row %d", r.Seq)
				seqs[res.Seq]++
				return nil
			}))
			assert.Len(t, seqs, j.Total)
		}
	})
}

func TestSQLiteOwnsItsDirectory(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := OpenSQLite(ctx, dir)
	require.NoError(t, err)
	_, err = OpenSQLite(ctx, dir)
	assert.ErrorIs(t, err, ErrLocked)
	job, err := s.Create(ctx, newJob(), rowsOf(20), 10, 0)
	require.NoError(t, err)
	c, err := s.Claim(ctx, "old", time.Hour)
	require.NoError(t, err)
	require.NotNil(t, c)
	require.NoError(t, s.Close())

	// A new process: the old claim is released at once, not after an hour.
	s, err = OpenSQLite(ctx, dir)
	require.NoError(t, err)
	defer s.Close()
	c2, err := s.Claim(ctx, "new", time.Hour)
	require.NoError(t, err)
	require.NotNil(t, c2)
	assert.Equal(t, job.ID, c2.JobID)
	assert.Equal(t, c.No, c2.No)
}
