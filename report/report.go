// Package report keeps verifiable records of checks (报告编号): every
// single check, API or map page, is stored with its time, client, the
// canonical request, a SHA-256 of the input geometry, the dataset version
// and the answer, under an id the user can cite in paperwork and look up
// again later (GET /api/v1/reports/{id}), with the answer re-run on the
// dataset then in service.
//
// Rows of batch jobs get ids derived from the job and the row (B ids, see
// ParseID): they are resolved through the batch store and live as long as
// the job. The package holds the record, the ids, the group-commit
// Recorder and the semantic comparison; the SQL storage is in
// batch/sqlstore.
package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/klauspost/compress/s2"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/paulmach/orb/geojson"

	"github.com/sanxian/sanxian/admission"
)

// Kind is where a check came from.
type Kind string

// Kinds of record.
const (
	KindAPI   Kind = "api"   // POST or GET /api/v1/check by a program
	KindPage  Kind = "page"  // the map page (it says so in a request header)
	KindBatch Kind = "batch" // a row of a batch job (B ids; not stored as a record)
)

// VerdictNone is the verdict of a check without an assessment (outside
// the data's coverage, limited to some layers, or a dataset without an
// access list).
const VerdictNone = "none"

// ErrNotFound: no record with that id (never stored, or its batch job
// was deleted).
var ErrNotFound = errors.New("report: not found")

// Client is who asked: the address as the service saw it (behind a proxy,
// the proxy's, unless the service is told to trust X-Forwarded-For) and
// the request id (X-Request-ID, the client's or the one generated).
type Client struct {
	IP        string `json:"ip"`
	RequestID string `json:"request_id"`
}

// Request is a check as it was run, enough to run it again exactly: the
// geometry after conversion to CGCS2000 (as JSON numbers, which
// round-trip float64 exactly), the coordinate system it was given in, and
// the project after validation (industry code normalised).
type Request struct {
	Geometry     *geojson.Geometry `json:"geometry"`
	CRS          string            `json:"crs"`
	BufferM      float64           `json:"buffer_m"`
	Layers       []string          `json:"layers,omitempty"`
	Industry     string            `json:"industry,omitempty"`
	Construction string            `json:"construction,omitempty"`
	Activity     string            `json:"activity,omitempty"`
	// NearbyM is how far a batch row looked for the nearest sensitive
	// area (batch rows only).
	NearbyM float64 `json:"nearby_m,omitempty"`
}

// NewRequest is the canonical form of req (its Geometry in CGCS2000).
func NewRequest(req admission.CheckRequest) Request {
	r := Request{CRS: req.CRS, BufferM: req.BufferM, Layers: req.Layers,
		Industry: req.Project.Industry, Construction: req.Project.Construction, Activity: req.Project.Activity}
	if r.CRS == "" {
		r.CRS = "EPSG:4490"
	}
	if req.Geometry != nil {
		r.Geometry = geojson.NewGeometry(req.Geometry)
	}
	return r
}

// CheckRequest turns the record's request back into a check request.
func (r Request) CheckRequest() (admission.CheckRequest, error) {
	if r.Geometry == nil || r.Geometry.Geometry() == nil {
		return admission.CheckRequest{}, errors.New("report: request without geometry")
	}
	return admission.CheckRequest{Geometry: r.Geometry.Geometry(), BufferM: r.BufferM, Layers: r.Layers, CRS: r.CRS,
		Project: admission.Project{Industry: r.Industry, Construction: r.Construction, Activity: r.Activity}}, nil
}

// GeometryHash is the SHA-256 (hex) of g's OGC WKB in little-endian
// order: the same as PostGIS encode(sha256(ST_AsBinary(geom, 'NDR')),
// 'hex') for the CGCS2000 geometry, so that anyone holding the site can
// check that a report is about it.
func GeometryHash(g orb.Geometry) (string, error) {
	b, err := wkb.Marshal(g)
	if err != nil {
		return "", fmt.Errorf("report: hash geometry: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Dataset is the dataset version a check ran on.
type Dataset struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Checksum string `json:"checksum"`
}

// DatasetOf is the version of d.
func DatasetOf(d admission.DatasetRef) Dataset {
	return Dataset{Name: d.Name, Version: d.Version, Checksum: d.Checksum}
}

// BatchRow names the batch row of a B id.
type BatchRow struct {
	JobID   string `json:"job_id"`
	JobName string `json:"job_name"`
	Seq     int    `json:"seq"`
	// Line is the row's number in the uploaded file.
	Line int    `json:"line"`
	Name string `json:"name,omitempty"`
}

// Record is one check as stored: who asked what, when, on which dataset,
// and the answer.
type Record struct {
	ID        string    `json:"id"`
	Kind      Kind      `json:"kind"`
	CreatedAt time.Time `json:"created_at"`
	Client    Client    `json:"client"`
	Request   Request   `json:"request"`
	// InputSHA256 is GeometryHash of Request.Geometry.
	InputSHA256 string  `json:"input_sha256"`
	Dataset     Dataset `json:"dataset"`
	// Verdict is the assessment's verdict, VerdictNone without one; for
	// a batch row its outcome (a verdict, "none" or "error").
	Verdict string `json:"verdict"`
	// Result is the answer as the service gave it: the check's JSON for
	// api and page records, the row's result for batch rows.
	Result json.RawMessage `json:"result"`
	// Batch names the row of a batch record.
	Batch *BatchRow `json:"batch,omitempty"`
}

// VerdictOf is the verdict of a check's answer.
func VerdictOf(res *admission.CheckResult) string {
	if res == nil || res.Assessment == nil {
		return VerdictNone
	}
	return res.Assessment.Verdict
}

// Entry is a record ready for storage: the request as JSON and the
// result compressed as an S2 block (klauspost/compress/s2, a faster
// extension of Snappy): a check's answer of 18.6 kB, mostly clause
// texts, becomes 7.2 kB. S2 rather than gzip or zstd because compressing
// is on every check's path: S2 took a fifth of zstd's fastest level's
// time for a fifth more bytes (see docs/reports.md). Seal and Open
// convert.
type Entry struct {
	Record
	RequestJSON []byte
	ResultS2    []byte
}

// maxResultBytes bounds a stored answer when decompressed (a corrupt
// length must not allocate gigabytes).
const maxResultBytes = 256 << 20

// Seal compresses rec for storage. It is meant to run in the caller's
// goroutine, so that the single writer of a Recorder only writes.
func Seal(rec Record) (Entry, error) {
	req, err := json.Marshal(rec.Request)
	if err != nil {
		return Entry{}, fmt.Errorf("report: encode request: %w", err)
	}
	e := Entry{Record: rec, RequestJSON: req, ResultS2: s2.Encode(nil, rec.Result)}
	e.Record.Result = nil
	return e, nil
}

// Open decodes a stored entry into its record.
func (e Entry) Open() (Record, error) {
	rec := e.Record
	if err := json.Unmarshal(e.RequestJSON, &rec.Request); err != nil {
		return rec, fmt.Errorf("report %s: decode request: %w", e.ID, err)
	}
	n, err := s2.DecodedLen(e.ResultS2)
	if err == nil && n > maxResultBytes {
		err = fmt.Errorf("answer of %d bytes", n)
	}
	if err != nil {
		return rec, fmt.Errorf("report %s: decompress result: %w", e.ID, err)
	}
	res, err := s2.Decode(nil, e.ResultS2)
	if err != nil {
		return rec, fmt.Errorf("report %s: decompress result: %w", e.ID, err)
	}
	rec.Result = res
	return rec, nil
}

// Size is the bytes the entry takes in the database's columns (without
// the database's own overhead).
func (e Entry) Size() int {
	return len(e.ID) + len(e.Kind) + 8 + len(e.Client.IP) + len(e.Client.RequestID) + len(e.InputSHA256) +
		len(e.Dataset.Name) + len(e.Dataset.Version) + len(e.Dataset.Checksum) + len(e.Verdict) + len(e.RequestJSON) + len(e.ResultS2)
}
