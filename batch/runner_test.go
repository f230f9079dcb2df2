package batch_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/batch/sqlstore"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/internal/sampletest"
)

// seat is 渝中区's seat, 658 m from the Yangtze.
var seat = orb.Point{106.569, 29.553}

// redLinePoint finds a point of the sample inside the ecological red line.
func redLinePoint(t *testing.T, d *admission.Dataset) orb.Point {
	l, ok := d.Layer(admission.LayerEcoRedline)
	require.True(t, ok)
	for _, f := range l.Features {
		b := f.Geometry.Bound()
		c := b.Center()
		res, err := d.Check(context.Background(), admission.CheckRequest{Geometry: c, Layers: []string{admission.LayerEcoRedline}})
		require.NoError(t, err)
		for _, h := range res.Hits {
			if h.Relation == geo.Within {
				return c
			}
		}
	}
	t.Fatal("no red-line point found")
	return orb.Point{}
}

func TestCheckerRows(t *testing.T) {
	d := sampletest.Dataset(t)
	ck := batch.Checker{Options: batch.Options{}, Limits: geo.Limits{MaxVertices: 1000}}
	bowtie := orb.Polygon{{{106.5, 29.5}, {106.51, 29.51}, {106.51, 29.5}, {106.5, 29.51}, {106.5, 29.5}}}
	cases := []struct {
		name    string
		row     batch.Row
		outcome string
		code    string
		check   func(t *testing.T, r batch.Result)
	}{
		{"chemicals at 渝中's seat", batch.Row{Industry: "c2614", Construction: "新建", Geometry: seat}, admission.VerdictProhibited, "", func(t *testing.T, r batch.Result) {
			assert.Contains(t, r.Clauses, "CQ-1-06")
			assert.Equal(t, "C2614", r.Industry)
			assert.Equal(t, []string{"渝中区"}, r.Districts)
			require.Len(t, r.Units, 1)
			assert.Nil(t, r.RedLine)
			assert.NotEmpty(t, r.Evidence)
			assert.Equal(t, d.Ref().Name+"@"+d.Ref().Version, r.Dataset)
		}},
		{"data services by name", batch.Row{IndustryName: "互联网数据服务", Construction: "新建", Geometry: seat}, admission.VerdictCompatible, "", func(t *testing.T, r batch.Result) {
			assert.Equal(t, "I6450", r.Industry)
			assert.Empty(t, r.Clauses)
		}},
		{"no industry", batch.Row{Geometry: seat}, admission.VerdictInsufficient, "", nil},
		{"Beijing is outside the data", batch.Row{Industry: "C2614", Construction: "新建", Geometry: orb.Point{116.4, 39.9}}, batch.OutcomeNone, "", func(t *testing.T, r batch.Result) {
			assert.Empty(t, r.Units)
			assert.Nil(t, r.Nearest)
		}},
		{"a row the reader refused", batch.Row{Line: 7, Error: &batch.RowError{Code: batch.ErrCodeBadCoordinates, Column: "lon", Message: "第 7 行「经度」列：无法识别"}}, batch.OutcomeError, batch.ErrCodeBadCoordinates, nil},
		{"no site", batch.Row{Line: 8, Industry: "C2614"}, batch.OutcomeError, batch.ErrCodeMissingSite, nil},
		{"unknown code", batch.Row{Line: 9, Industry: "C9999", Geometry: seat}, batch.OutcomeError, batch.ErrCodeUnknownIndustry, func(t *testing.T, r batch.Result) {
			assert.Contains(t, r.Error.Message, "第 9 行")
			assert.Equal(t, "industry", r.Error.Column)
		}},
		{"ambiguous name", batch.Row{Line: 10, IndustryName: "制造", Geometry: seat}, batch.OutcomeError, batch.ErrCodeUnknownIndustry, func(t *testing.T, r batch.Result) {
			assert.Equal(t, "industry_name", r.Error.Column)
		}},
		{"bad construction", batch.Row{Line: 11, Industry: "C2614", Construction: "重建", Geometry: seat}, batch.OutcomeError, batch.ErrCodeBadConstruction, nil},
		{"self-intersecting parcel", batch.Row{Line: 12, Industry: "C2614", Geometry: bowtie}, batch.OutcomeError, batch.ErrCodeInvalidSite, func(t *testing.T, r batch.Result) {
			assert.Contains(t, r.Error.Message, "第 12 行")
		}},
		{"in the red line", batch.Row{Industry: "I6450", Construction: "新建", Geometry: redLinePoint(t, d)}, admission.VerdictProhibited, "", func(t *testing.T, r batch.Result) {
			require.NotNil(t, r.RedLine)
			assert.Equal(t, 1.0, r.RedLine.Share)
			require.NotNil(t, r.Nearest)
			assert.Equal(t, 0.0, r.Nearest.DistanceM)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _, err := ck.Check(context.Background(), d, tc.row)
			require.NoError(t, err)
			assert.Equal(t, tc.outcome, r.Outcome, "%+v", r)
			assert.Equal(t, batch.OutcomeLabel(tc.outcome), r.Label)
			if tc.code != "" {
				require.NotNil(t, r.Error)
				assert.Equal(t, tc.code, r.Error.Code)
			} else {
				assert.Nil(t, r.Error)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// A check interrupted by its context is not a row error: the row is
// not done and is claimed again.
func TestCheckerInterrupted(t *testing.T) {
	d := sampletest.Dataset(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := batch.Checker{}.Check(ctx, d, batch.Row{Industry: "C2614", Geometry: seat})
	assert.ErrorIs(t, err, context.Canceled)
}

type staticSource struct{ d *admission.Dataset }

func (s staticSource) Current() *admission.Dataset { return s.d }

func TestRunnerFinishesJobs(t *testing.T) {
	d := sampletest.Dataset(t)
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, t.TempDir())
	require.NoError(t, err)
	defer st.Close()
	rows := func(yield func(batch.Row, error) bool) {
		for i := 0; i < 50; i++ {
			r := batch.Row{Line: i + 2, Industry: "C2614", Construction: "新建", Geometry: orb.Point{106.2 + float64(i)*0.02, 29.6}}
			if i == 13 {
				r.Industry = "bad"
			}
			if !yield(r, nil) {
				return
			}
		}
	}
	job, err := st.Create(ctx, batch.Job{Name: "t"}, rows, 8, 0)
	require.NoError(t, err)
	chunks := 0
	r := &batch.Runner{Store: st, Datasets: staticSource{d}, Worker: "test", Workers: 2, Poll: 10 * time.Millisecond,
		OnChunk: func(batch.Chunk, []batch.Result) { chunks++ }}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(runCtx); close(done) }()
	r.Notify()
	require.Eventually(t, func() bool {
		j, err := st.Job(ctx, job.ID)
		return err == nil && j.Status == batch.StatusFinished
	}, 30*time.Second, 20*time.Millisecond)
	stop()
	<-done
	j, err := st.Job(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, 50, j.Done)
	assert.Equal(t, 1, j.Counts[batch.OutcomeError])
	assert.Equal(t, 7, chunks)
	n := 0
	require.NoError(t, st.Results(ctx, job.ID, 0, 0, func(row batch.Row, res *batch.Result) error {
		require.NotNil(t, res)
		if row.Seq == 13 {
			assert.Equal(t, batch.ErrCodeUnknownIndustry, res.Error.Code)
		}
		n++
		return nil
	}))
	assert.Equal(t, 50, n)
}

// Without a dataset the runner waits instead of failing rows.
func TestRunnerWaitsForDataset(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, t.TempDir())
	require.NoError(t, err)
	defer st.Close()
	job, err := st.Create(ctx, batch.Job{Name: "t"}, func(yield func(batch.Row, error) bool) { yield(batch.Row{Geometry: seat}, nil) }, 8, 0)
	require.NoError(t, err)
	r := &batch.Runner{Store: st, Datasets: staticSource{nil}, Worker: "test"}
	worked, err := r.Step(ctx)
	require.NoError(t, err)
	assert.False(t, worked)
	j, _ := st.Job(ctx, job.ID)
	assert.Equal(t, batch.StatusQueued, j.Status)
}

func TestRunnerExpiresOldJobs(t *testing.T) {
	ctx := context.Background()
	st, err := sqlstore.OpenSQLite(ctx, t.TempDir())
	require.NoError(t, err)
	defer st.Close()
	job, err := st.Create(ctx, batch.Job{Name: "empty"}, func(func(batch.Row, error) bool) {}, 8, 0)
	require.NoError(t, err)
	require.Equal(t, batch.StatusFinished, job.Status)
	r := &batch.Runner{Store: st, Datasets: staticSource{nil}, Worker: "test", Retention: time.Millisecond}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	time.Sleep(5 * time.Millisecond)
	go r.Run(runCtx)
	require.Eventually(t, func() bool {
		_, err := st.Job(ctx, job.ID)
		return errors.Is(err, batch.ErrNotFound)
	}, 5*time.Second, 10*time.Millisecond)
}

// switchable is a DatasetSource whose dataset the test changes.
type switchable struct{ d *admission.Dataset }

func (s *switchable) Current() *admission.Dataset { return s.d }

// A version switch in the middle of a job makes it start over on the new
// version: the finished job's rows all name the new version, none is
// missing or twice, and the job says it restarted and from what.
func TestRunnerVersionSwitchMidJob(t *testing.T) {
	ctx := context.Background()
	d1 := sampletest.Dataset(t)
	c, err := data.ReadDataset(data.Sample())
	require.NoError(t, err)
	c.Info.Version += "-修订"
	d2, err := c.Open(admission.Options{})
	require.NoError(t, err)
	label := func(d *admission.Dataset) string { return d.Info().Name + "@" + d.Info().Version }

	st, err := sqlstore.OpenSQLite(ctx, t.TempDir())
	require.NoError(t, err)
	defer st.Close()
	rows := func(yield func(batch.Row, error) bool) {
		for i := 0; i < 40; i++ {
			if !yield(batch.Row{Line: i + 2, Industry: "C2614", Construction: "新建", Geometry: orb.Point{106.2 + float64(i)*0.02, 29.6}}, nil) {
				return
			}
		}
	}
	job, err := st.Create(ctx, batch.Job{Name: "t"}, rows, 10, 0)
	require.NoError(t, err)
	src := &switchable{d1}
	r := &batch.Runner{Store: st, Datasets: src, Worker: "test", Workers: 1}
	step := func() bool {
		t.Helper()
		worked, err := r.Step(ctx)
		require.NoError(t, err)
		return worked
	}
	require.True(t, step())
	require.True(t, step())
	j, err := st.Job(ctx, job.ID)
	require.NoError(t, err)
	require.Equal(t, 20, j.Done)
	require.Equal(t, label(d1), j.Dataset)

	src.d = d2 // the service activates another version
	steps := 0
	for step() {
		steps++
	}
	assert.Equal(t, 4, steps, "the two chunks left, then the two done on the old version again")
	j, err = st.Job(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, batch.StatusFinished, j.Status)
	assert.Equal(t, 40, j.Done)
	assert.Equal(t, label(d2), j.Dataset)
	assert.Equal(t, 1, j.Restarts)
	assert.Equal(t, label(d1), j.PreviousDataset)
	n := 0
	require.NoError(t, st.Results(ctx, job.ID, 0, 0, func(row batch.Row, res *batch.Result) error {
		require.NotNil(t, res, "row %d", row.Seq)
		assert.Equal(t, label(d2), res.Dataset, "row %d", row.Seq)
		n++
		return nil
	}))
	assert.Equal(t, 40, n)
}

// fullStore fails Complete with ErrStorageFull while full > 0 (counting
// down with each call), then passes it on.
type fullStore struct {
	batch.Store
	full, calls int
}

func (f *fullStore) Complete(ctx context.Context, c batch.Chunk, results []batch.Result, clauses []batch.Clause) error {
	f.calls++
	if f.full > 0 {
		f.full--
		return fmt.Errorf("%w: complete: database or disk is full", batch.ErrStorageFull)
	}
	return f.Store.Complete(ctx, c, results, clauses)
}

// A chunk checked while the store is full is recorded as soon as there
// is room again, by the runner that holds it, without checking it again;
// a store that stays full past half the lease fails the step, keeping
// the error.
func TestRunnerWaitsForRoomToComplete(t *testing.T) {
	ctx := context.Background()
	d := sampletest.Dataset(t)
	st, err := sqlstore.OpenSQLite(ctx, t.TempDir())
	require.NoError(t, err)
	defer st.Close()
	rows := func(yield func(batch.Row, error) bool) {
		for i := 0; i < 20; i++ {
			if !yield(batch.Row{Line: i + 2, Geometry: orb.Point{106.2 + float64(i)*0.02, 29.6}}, nil) {
				return
			}
		}
	}
	job, err := st.Create(ctx, batch.Job{Name: "t"}, rows, 10, 0)
	require.NoError(t, err)

	fs := &fullStore{Store: st, full: 3}
	checked := 0
	r := &batch.Runner{Store: fs, Datasets: staticSource{d}, Worker: "w", Poll: 5 * time.Millisecond, Lease: time.Minute,
		OnChunk: func(batch.Chunk, []batch.Result) { checked++ }}
	worked, err := r.Step(ctx)
	require.NoError(t, err)
	assert.True(t, worked)
	assert.Equal(t, 4, fs.calls, "three tries on a full store, the fourth recorded")
	assert.Equal(t, 1, checked)
	j, err := st.Job(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, 10, j.Done)

	fs.full, fs.calls = 1000, 0
	r2 := &batch.Runner{Store: fs, Datasets: staticSource{d}, Worker: "w2", Poll: 5 * time.Millisecond, Lease: 100 * time.Millisecond}
	_, err = r2.Step(ctx)
	require.ErrorIs(t, err, batch.ErrStorageFull)
	assert.Greater(t, fs.calls, 1, "tried again before giving up")
	assert.Less(t, fs.calls, 20, "gave up after about half the lease")
	j, err = st.Job(ctx, job.ID)
	require.NoError(t, err)
	assert.Equal(t, 10, j.Done, "nothing of the second chunk recorded")
}
