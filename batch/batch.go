// Package batch screens project lists (批量筛查): every row of an uploaded
// list is checked like a single site, in chunks that one or several
// processes claim from a Store, so that an accepted job is never lost and
// every row is done exactly once.
//
// The package holds the domain (Row, Result, Job), the Store contract and
// the Runner; reading and writing files is in package data, the SQL
// stores in batch/sqlstore.
package batch

import (
	"errors"
	"time"

	"github.com/paulmach/orb"
)

// Row is one project of an uploaded list.
type Row struct {
	// Seq is the row's position among the data rows, from 0.
	Seq int `json:"seq"`
	// Line is the row's number as the user sees it in the file: the
	// spreadsheet row or the CSV line of the record (the header is 1).
	Line int `json:"line"`
	// Cells are the row's original cells, aligned with Header.Columns;
	// they are copied to the output unchanged.
	Cells []string `json:"cells"`
	// Name, Industry, IndustryName, Construction, Activity are the
	// project's fields as written (trimmed); Industry may be empty when
	// IndustryName is given.
	Name         string `json:"name,omitempty"`
	Industry     string `json:"industry,omitempty"`
	IndustryName string `json:"industry_name,omitempty"`
	Construction string `json:"construction,omitempty"`
	Activity     string `json:"activity,omitempty"`
	// Geometry is the site in CGCS2000 lon/lat; nil when Error is set.
	Geometry orb.Geometry `json:"-"`
	// BufferM ≥ 0 also reports features within that distance.
	BufferM float64 `json:"buffer_m,omitempty"`
	// Error is set when the row could not be read (bad coordinates, a
	// missing site …); such a row is reported, never checked, and never
	// fails the batch.
	Error *RowError `json:"error,omitempty"`
}

// RowError is why one row has no verdict. Code is stable for programs;
// Message is Chinese for people and names the row and the column.
// Column is the role of the column at fault ("lon", "industry", "wkt",
// see Header.Roles; "site" for the site as a whole), empty when none.
type RowError struct {
	Code    string `json:"code"`
	Column  string `json:"column,omitempty"`
	Message string `json:"message"`
}

func (e *RowError) Error() string { return e.Message }

// Row error codes.
const (
	ErrCodeMissingSite     = "missing_site"     // no coordinates in the row
	ErrCodeBadCoordinates  = "bad_coordinates"  // coordinates that cannot be read
	ErrCodeInvalidSite     = "invalid_site"     // a site that geo.ValidateSite refuses
	ErrCodeUnknownIndustry = "unknown_industry" // an industry code or name not in GB/T 4754-2017
	ErrCodeBadConstruction = "bad_construction" // a construction type outside the list
	ErrCodeBadActivity     = "bad_activity"     // an activity outside the list
	ErrCodeBadBuffer       = "bad_buffer"       // a buffer that is not a distance in range
	ErrCodeCheckFailed     = "check_failed"     // the check itself failed: not "nothing found"
)

// Header describes the columns of a list: the original headers and which
// of them the reader recognised.
type Header struct {
	// Columns are the header cells as written.
	Columns []string `json:"columns"`
	// Roles maps a recognised role ("name", "industry", "lon", …) to the
	// column's index in Columns.
	Roles map[string]int `json:"roles"`
	// Sheet is the worksheet read (xlsx only).
	Sheet string `json:"sheet,omitempty"`
	// Width is the most cells of any row (at least len(Columns)), set by
	// Store.Create once every row is read; 0 when unknown.
	Width int `json:"width,omitempty"`
}

// Status of a job.
type Status string

// Job statuses: queued (accepted, no row done yet), running, finished
// (every row done), cancelled (by DELETE; rows done so far are kept).
const (
	StatusQueued    Status = "queued"
	StatusRunning   Status = "running"
	StatusFinished  Status = "finished"
	StatusCancelled Status = "cancelled"
)

// Outcome keys counted per job: the admission verdicts, "none" for rows
// checked without an assessment (outside the data's coverage) and "error"
// for rows with a RowError.
const (
	OutcomeNone  = "none"
	OutcomeError = "error"
)

// Job is a batch and its progress.
type Job struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	FileName string `json:"file_name"`
	Status   Status `json:"status"`
	Total    int    `json:"total"`
	Done     int    `json:"done"`
	// Counts are rows done by outcome: the verdicts, "none", "error".
	Counts     map[string]int `json:"counts"`
	Header     Header         `json:"header"`
	Options    Options        `json:"options"`
	CreatedAt  time.Time      `json:"created_at"`
	StartedAt  *time.Time     `json:"started_at,omitempty"`
	FinishedAt *time.Time     `json:"finished_at,omitempty"`
	// Dataset is the dataset version the rows were checked on (of the
	// first chunk; each Result names its own, and they agree: see
	// Store.Complete).
	Dataset string `json:"dataset,omitempty"`
	// Restarts counts the times the job started over because the
	// service switched dataset versions while it ran; PreviousDataset is
	// the version it last left.
	Restarts        int    `json:"restarts,omitempty"`
	PreviousDataset string `json:"previous_dataset,omitempty"`
}

// Options apply to every row of a job.
type Options struct {
	// BufferM is the buffer of rows that do not give one.
	BufferM float64 `json:"buffer_m"`
	// NearbyM is how far to look for the nearest sensitive area.
	NearbyM float64 `json:"nearby_m"`
	// CRS is the canonical name (crs.CRS.Name: "EPSG:4490", "EPSG:4545",
	// "GCJ02" …) of the coordinate system the list's coordinates are in,
	// except in rows whose 坐标系 column names another. Rows hold CGCS2000
	// whatever it is. Empty for jobs recorded before it was kept (their
	// lists were CGCS2000 or WGS84 longitude and latitude).
	CRS string `json:"crs,omitempty"`
}

// DefaultNearbyM is how far the nearest sensitive area is looked for when
// Options.NearbyM is zero.
const DefaultNearbyM = 5000

// Result is what one row's check found.
type Result struct {
	Seq int `json:"seq"`
	// Outcome is the verdict (admission.Verdict*), OutcomeNone or
	// OutcomeError.
	Outcome string `json:"outcome"`
	// Label is the outcome in Chinese.
	Label  string `json:"label"`
	Reason string `json:"reason,omitempty"`
	// Industry is the normalised code the row was checked with.
	Industry  string     `json:"industry,omitempty"`
	Districts []string   `json:"districts,omitempty"`
	Units     []UnitPart `json:"units,omitempty"`
	// RedLine is the part of the site in the ecological red line; nil
	// when the site does not enter it.
	RedLine *Overlap `json:"red_line,omitempty"`
	// Nearest is the nearest sensitive area within Options.NearbyM; nil
	// when there is none that close.
	Nearest *Nearby `json:"nearest,omitempty"`
	// Clauses are the ids of the clauses that decide the verdict.
	Clauses []string `json:"clauses,omitempty"`
	// Evidence is the deciding clauses' evidence, in Chinese.
	Evidence []string  `json:"evidence,omitempty"`
	Notes    []string  `json:"notes,omitempty"`
	Error    *RowError `json:"error,omitempty"`
	// Dataset is the version ("name@version") the row was checked on.
	Dataset string `json:"dataset,omitempty"`
	// DatasetChecksum is that version's checksum (empty for rows checked
	// before it was kept).
	DatasetChecksum string `json:"dataset_checksum,omitempty"`
	// CheckedAt is when the row was checked (nil for rows checked before
	// it was kept).
	CheckedAt *time.Time `json:"checked_at,omitempty"`
}

// UnitPart is a control unit the site lies in.
type UnitPart struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Category string   `json:"category"`
	Share    *float64 `json:"share,omitempty"`
	Verdict  string   `json:"verdict,omitempty"`
}

// Overlap is how much of the site lies in an area: AreaM2 for polygons,
// LengthM for lines; Share of the site's area or length (1 for a point).
type Overlap struct {
	AreaM2  float64 `json:"area_m2,omitempty"`
	LengthM float64 `json:"length_m,omitempty"`
	Share   float64 `json:"share"`
}

// Nearby is a sensitive area near or at the site.
type Nearby struct {
	Layer      string  `json:"layer"`
	LayerTitle string  `json:"layer_title"`
	ID         string  `json:"id"`
	Name       string  `json:"name"`
	DistanceM  float64 `json:"distance_m"`
}

// Clause is the text of a clause that decided some row, kept with the job
// so that the output can list it even after the dataset changes.
type Clause struct {
	ID        string `json:"id"`
	Level     string `json:"level"`
	Dimension string `json:"dimension"`
	Effect    string `json:"effect"`
	Text      string `json:"text"`
}

// Chunk is a run of rows claimed by one worker.
type Chunk struct {
	JobID string
	No    int
	// First and Last are the Seq range, inclusive.
	First, Last int
	// Claim identifies this claim; completing with a stale claim fails.
	Claim string
}

// Errors of a Store.
var (
	// ErrNotFound: no job with that id (or it expired).
	ErrNotFound = errors.New("batch: job not found")
	// ErrClaimLost: the chunk was claimed by another worker after this
	// claim's lease ran out; its results were not recorded.
	ErrClaimLost = errors.New("batch: chunk claim lost")
	// ErrNotActive: the job is cancelled or finished.
	ErrNotActive = errors.New("batch: job is not active")
	// ErrStorageFull: the store's disk (or database) has no room left.
	// The write that failed recorded nothing; jobs stored before stay
	// readable, and writes work again once there is room.
	ErrStorageFull = errors.New("batch: job store is full")
	// ErrStorageReadOnly: the store cannot be written (a read-only file
	// system or database); reads may still work.
	ErrStorageReadOnly = errors.New("batch: job store is read-only")
)

// ErrTooManyRows is returned by Store.Create when a list has more rows
// than allowed.
var ErrTooManyRows = errors.New("batch: too many rows")
