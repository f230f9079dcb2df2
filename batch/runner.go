package batch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/geo"
)

// DatasetSource gives the dataset in service (admission.Store).
type DatasetSource interface {
	Current() *admission.Dataset
}

// Runner claims chunks from a Store and checks their rows. Several
// runners (in one process or several sharing a Store) can work on the
// same jobs: a chunk is done by whoever claimed it last, once.
type Runner struct {
	Store    Store
	Datasets DatasetSource
	// Worker names this runner in claims; it must be unique among the
	// runners sharing a Store.
	Worker string
	// Workers is how many chunks are checked at once (default 1).
	Workers int
	// Lease is how long a claim is held before another runner may take
	// the chunk over (default 2 minutes).
	Lease time.Duration
	// Poll is how often to look for work when idle (default 1 s); Notify
	// wakes the runner sooner.
	Poll time.Duration
	// Limits bound each row's site.
	Limits geo.Limits
	// Log receives errors of the store; nil discards them.
	Log *slog.Logger
	// OnChunk, when set, is called after each chunk is recorded.
	OnChunk func(c Chunk, results []Result)
	// Retention > 0 makes Run delete finished and cancelled jobs that
	// ended longer ago than that (checked at start and then every
	// Retention/10, between a second and an hour).
	Retention time.Duration

	once sync.Once
	wake chan struct{}
}

func (r *Runner) init() {
	r.once.Do(func() {
		r.wake = make(chan struct{}, 1)
		if r.Workers <= 0 {
			r.Workers = 1
		}
		if r.Lease <= 0 {
			r.Lease = 2 * time.Minute
		}
		if r.Poll <= 0 {
			r.Poll = time.Second
		}
		if r.Log == nil {
			r.Log = slog.New(slog.DiscardHandler)
		}
	})
}

// Notify tells an idle runner that there may be work (a new job).
func (r *Runner) Notify() {
	r.init()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx ends. A chunk interrupted by ctx is left to be
// claimed again once its lease runs out (at once after a restart with a
// store that releases a dead process's claims).
func (r *Runner) Run(ctx context.Context) {
	r.init()
	var wg sync.WaitGroup
	if r.Retention > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.expire(ctx)
		}()
	}
	for i := 0; i < r.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.loop(ctx)
		}()
	}
	wg.Wait()
}

func (r *Runner) loop(ctx context.Context) {
	for ctx.Err() == nil {
		worked, err := r.Step(ctx)
		if err != nil && ctx.Err() == nil {
			r.Log.Error("batch chunk failed", slog.String("worker", r.Worker), slog.String("error", err.Error()))
		}
		if worked && err == nil {
			continue
		}
		t := time.NewTimer(r.Poll)
		select {
		case <-ctx.Done():
		case <-r.wake:
			// pass the wake-up on to the other idle workers
			select {
			case r.wake <- struct{}{}:
			default:
			}
		case <-t.C:
		}
		t.Stop()
	}
}

// Step claims and does one chunk. It reports whether there was one.
func (r *Runner) Step(ctx context.Context) (bool, error) {
	r.init()
	d := r.Datasets.Current()
	if d == nil {
		return false, nil // nothing to check against yet
	}
	c, err := r.Store.Claim(ctx, r.Worker, r.Lease)
	if err != nil || c == nil {
		return false, err
	}
	rows, err := r.Store.Rows(ctx, *c)
	if err != nil {
		return true, fmt.Errorf("rows of chunk %s/%d: %w", c.JobID, c.No, err)
	}
	job, err := r.Store.Job(ctx, c.JobID)
	if err != nil {
		return true, fmt.Errorf("job of chunk %s/%d: %w", c.JobID, c.No, err)
	}
	ck := Checker{Options: job.Options, Limits: r.Limits, Log: r.Log}
	results := make([]Result, 0, len(rows))
	seen := map[string]bool{}
	var clauses []Clause
	for _, row := range rows {
		res, cl, err := ck.Check(ctx, d, row)
		if err != nil {
			return true, err // interrupted: the chunk is claimed again later
		}
		results = append(results, res)
		for _, c := range cl {
			if !seen[c.ID] {
				seen[c.ID] = true
				clauses = append(clauses, c)
			}
		}
	}
	if err := r.complete(ctx, *c, results, clauses); err != nil {
		if errors.Is(err, ErrClaimLost) || errors.Is(err, ErrNotActive) {
			return true, nil // someone else has it, or nobody wants it
		}
		return true, fmt.Errorf("complete chunk %s/%d: %w", c.JobID, c.No, err)
	}
	if r.OnChunk != nil {
		r.OnChunk(*c, results)
	}
	return true, nil
}

// complete records a chunk's results. While the store is full it keeps
// the results and tries again every Poll for up to half the lease (the
// claim is still this runner's), logging the first failure, so that a
// chunk checked before the disk filled up is recorded as soon as there
// is room instead of being checked again after its lease.
func (r *Runner) complete(ctx context.Context, c Chunk, results []Result, clauses []Clause) error {
	deadline := time.Now().Add(r.Lease / 2)
	for attempt := 0; ; attempt++ {
		err := r.Store.Complete(ctx, c, results, clauses)
		if !errors.Is(err, ErrStorageFull) || time.Now().Add(r.Poll).After(deadline) {
			return err
		}
		if attempt == 0 {
			r.Log.Error("batch chunk waits for room in the job store", slog.String("worker", r.Worker),
				slog.String("chunk", fmt.Sprintf("%s/%d", c.JobID, c.No)), slog.String("error", err.Error()))
		}
		t := time.NewTimer(r.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// expire deletes jobs past Retention until ctx ends.
func (r *Runner) expire(ctx context.Context) {
	every := max(min(r.Retention/10, time.Hour), time.Second)
	for {
		n, err := r.Store.Expire(ctx, time.Now().Add(-r.Retention))
		switch {
		case err != nil && ctx.Err() == nil:
			r.Log.Error("batch expiry failed", slog.String("error", err.Error()))
		case n > 0:
			r.Log.Info("batch jobs expired", slog.Int("jobs", n), slog.Duration("retention", r.Retention))
		}
		t := time.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}
