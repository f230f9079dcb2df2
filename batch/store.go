package batch

import (
	"context"
	"iter"
	"time"
)

// Store keeps jobs, their rows and results. Implementations must be safe
// for concurrent use, and for use by several processes where they say so
// (sqlstore's PostgreSQL store).
type Store interface {
	// Create stores a new job and all its rows in one transaction, cut
	// into chunks of chunkSize rows: either the whole job is stored or,
	// when rows yields an error or ctx ends, nothing is. job.Total,
	// Status and CreatedAt are set by Create; the stored job is returned.
	// maxRows > 0 bounds the rows: one more is ErrTooManyRows.
	Create(ctx context.Context, job Job, rows iter.Seq2[Row, error], chunkSize, maxRows int) (Job, error)
	// Job returns a job with its progress, or ErrNotFound.
	Job(ctx context.Context, id string) (Job, error)
	// Jobs lists the most recent jobs first, at most limit.
	Jobs(ctx context.Context, limit int) ([]Job, error)
	// Cancel marks a queued or running job cancelled; rows done stay.
	// Cancelling a finished or cancelled job changes nothing. ErrNotFound
	// when there is no such job.
	Cancel(ctx context.Context, id string) (Job, error)
	// Claim takes the next chunk to do for worker: a pending chunk of an
	// active job, oldest job first, or a chunk whose claim's lease ran
	// out. It returns nil when there is nothing to do.
	Claim(ctx context.Context, worker string, lease time.Duration) (*Chunk, error)
	// Rows returns the rows of a claimed chunk in Seq order.
	Rows(ctx context.Context, c Chunk) ([]Row, error)
	// Complete records the results of a chunk (one per row, any order)
	// and the clauses they cite, and updates the job's progress, in one
	// transaction. It fails with ErrClaimLost when the claim is no longer
	// the chunk's, and with ErrNotActive when the job was cancelled; in
	// both cases nothing is recorded. A job is checked on one dataset
	// version: when the results name another version than the job's
	// results so far (the service switched versions while the job ran),
	// the job starts over on the new version in the same transaction:
	// the earlier results are dropped, every other chunk is pending again
	// (claims held on them are lost), the job's Restarts grows and
	// PreviousDataset names the version left.
	Complete(ctx context.Context, c Chunk, results []Result, clauses []Clause) error
	// Results calls fn with the rows of a job from Seq offset on, at most
	// limit of them (all when limit ≤ 0), each with its result (nil when
	// not done yet), in Seq order, streaming. fn's error stops it and is
	// returned. ErrNotFound when there is no such job.
	Results(ctx context.Context, id string, offset, limit int, fn func(Row, *Result) error) error
	// Clauses returns the clauses cited by the job's results, by id.
	Clauses(ctx context.Context, id string) ([]Clause, error)
	// Expire deletes finished and cancelled jobs that ended before
	// cutoff, with their rows and results, and returns how many.
	Expire(ctx context.Context, cutoff time.Time) (int, error)
	// Close releases the store.
	Close() error
}
