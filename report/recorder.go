package report

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Sink stores entries durably: SaveReports returns nil only once every
// entry is committed (fsynced) in one transaction; on error none is.
// batch/sqlstore's Store is one.
type Sink interface {
	SaveReports(ctx context.Context, entries []Entry) error
}

// ErrClosed is returned by Recorder.Save after Close.
var ErrClosed = errors.New("report: recorder closed")

// RecorderOptions tune the group commit. Zero fields take the defaults.
type RecorderOptions struct {
	// MaxBatch bounds the entries of one transaction. Default 512.
	MaxBatch int
	// Linger is how long the writer waits for more entries after the
	// first of a batch when fewer than MaxBatch are queued. Default 0:
	// batches form on their own while the previous commit runs, so a
	// lone check pays one commit and a busy service shares commits.
	Linger time.Duration
	// CommitTimeout bounds one transaction; entries of a commit that runs
	// out fail (their checks are answered without a report id). Default
	// 10 s.
	CommitTimeout time.Duration
}

// BatchStats is what a Recorder reports after each commit.
type BatchStats struct {
	Entries  int
	Duration time.Duration
	Err      error
}

// Recorder makes entries durable with group commit: Save hands an entry
// to a single writer goroutine and waits; the writer takes everything
// queued (up to MaxBatch), commits it in one transaction and wakes all
// the waiters. Durability thus costs each check the latency of about one
// commit while throughput is bounded by the database's commits per
// second times the batch size, not by fsyncs per check. Safe for
// concurrent use.
type Recorder struct {
	sink    Sink
	opt     RecorderOptions
	queue   chan *pending
	onBatch func(BatchStats)

	mu     sync.RWMutex // guards closed against sends on queue
	closed bool
	done   chan struct{}
}

type pending struct {
	e    Entry
	done chan error
}

// NewRecorder starts a recorder writing to sink; onBatch (may be nil) is
// called by the writer after each commit, for metrics. Close stops it.
func NewRecorder(sink Sink, opt RecorderOptions, onBatch func(BatchStats)) *Recorder {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 512
	}
	if opt.CommitTimeout <= 0 {
		opt.CommitTimeout = 10 * time.Second
	}
	r := &Recorder{sink: sink, opt: opt, queue: make(chan *pending, 4*opt.MaxBatch), onBatch: onBatch, done: make(chan struct{})}
	go r.run()
	return r
}

// Save stores e and returns once it is durable. An error means that the
// entry may not have been stored (the commit failed, ctx ended first, or
// the recorder is closed): its id must not be handed out. When ctx ends
// while waiting the entry may still be committed later; it is then an
// orphan no one was told about.
func (r *Recorder) Save(ctx context.Context, e Entry) error {
	p := &pending{e: e, done: make(chan error, 1)}
	r.mu.RLock()
	if r.closed {
		r.mu.RUnlock()
		return ErrClosed
	}
	select {
	case r.queue <- p:
		r.mu.RUnlock()
	case <-ctx.Done():
		r.mu.RUnlock()
		return fmt.Errorf("report %s: %w", e.ID, ctx.Err())
	}
	select {
	case err := <-p.done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("report %s: %w", e.ID, ctx.Err())
	}
}

// Close stops taking entries, commits those queued and returns when the
// writer has finished. It is safe to call more than once.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.queue)
	}
	r.mu.Unlock()
	<-r.done
	return nil
}

func (r *Recorder) run() {
	defer close(r.done)
	batch := make([]*pending, 0, r.opt.MaxBatch)
	entries := make([]Entry, 0, r.opt.MaxBatch)
	for first := range r.queue {
		batch = append(batch[:0], first)
		batch = r.fill(batch)
		entries = entries[:0]
		for _, p := range batch {
			entries = append(entries, p.e)
		}
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), r.opt.CommitTimeout)
		err := r.sink.SaveReports(ctx, entries)
		cancel()
		if err != nil {
			err = fmt.Errorf("save %d reports: %w", len(entries), err)
		}
		for _, p := range batch {
			p.done <- err
		}
		if r.onBatch != nil {
			r.onBatch(BatchStats{Entries: len(batch), Duration: time.Since(start), Err: err})
		}
		clear(entries) // drop the results' memory until the next batch
	}
}

// fill adds what is queued to batch, waiting up to Linger for more.
func (r *Recorder) fill(batch []*pending) []*pending {
	var timeout <-chan time.Time
	if r.opt.Linger > 0 {
		t := time.NewTimer(r.opt.Linger)
		defer t.Stop()
		timeout = t.C
	}
	for len(batch) < r.opt.MaxBatch {
		select {
		case p, ok := <-r.queue:
			if !ok {
				return batch
			}
			batch = append(batch, p)
			continue
		default:
		}
		if timeout == nil {
			return batch
		}
		select {
		case p, ok := <-r.queue:
			if !ok {
				return batch
			}
			batch = append(batch, p)
		case <-timeout:
			return batch
		}
	}
	return batch
}
