// Package compare runs the same siting queries through sanxian (in
// process and over HTTP) and through PostGIS, and reports whether they
// agree (the same features hit; overlap areas, lengths and distances
// within stated tolerances) and how fast each answers, measured in the
// same run. cmd/compare and `make compare` drive it; docs/compare.md
// explains the report.
package compare

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb/encoding/wkt"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/geo"
)

// Tolerances decide when two measures agree: |a−b| ≤ max(Abs, Rel ×
// max(|a|, |b|)). sanxian rounds its measures to 0.01 (m², m), so Abs
// cannot be below 0.005.
type Tolerances struct {
	AreaAbsM2   float64 `json:"area_abs_m2"`
	AreaRel     float64 `json:"area_rel"`
	LengthAbsM  float64 `json:"length_abs_m"`
	LengthRel   float64 `json:"length_rel"`
	DistanceAbs float64 `json:"distance_abs_m"`
	DistanceRel float64 `json:"distance_rel"`
	// BoundaryM: a feature hit by one engine only, or in contact for one
	// and nearby for the other, whose geodesic distance to the site is at
	// most BoundaryM is a boundary touch (explained).
	BoundaryM float64 `json:"boundary_m"`
	// BufferEdgeM: a nearby feature hit by one engine only, whose
	// distance is within BufferEdgeM of the buffer, is at the buffer's
	// edge (explained).
	BufferEdgeM float64 `json:"buffer_edge_m"`
}

// DefaultTolerances are the ones docs/compare.md states.
var DefaultTolerances = Tolerances{
	AreaAbsM2: 0.02, AreaRel: 1e-6,
	LengthAbsM: 0.01, LengthRel: 1e-6,
	DistanceAbs: 0.01, DistanceRel: 1e-6,
	BoundaryM: 0.001, BufferEdgeM: 0.01,
}

func within(a, b, abs, rel float64) bool {
	return math.Abs(a-b) <= math.Max(abs, rel*math.Max(math.Abs(a), math.Abs(b)))
}

// Explanation classes of disagreements. Unexplained is a real
// disagreement nobody has accounted for.
const (
	ExplBoundaryRule    = "boundary_rule"
	ExplPostGISDistance = "postgis_distance"
	ExplBoundaryTouch   = "boundary_touch"
	ExplBufferEdge      = "buffer_edge"
	ExplSliver          = "sliver"
	// ExplSanxianDistance is a real sanxian error, explained: its
	// distance is farther from the reference than PostGIS's.
	ExplSanxianDistance = "sanxian_distance"
	ExplUnexplained     = "unexplained"
)

// Explanations describes each class, for the report.
var Explanations = map[string]string{
	ExplBoundaryRule:    "sanxian's documented boundary rule (docs/architecture.md, geo's boundaryEps): a point within 1e-9° (≈0.1 mm) of an edge lies on it and belongs to every feature sharing the edge; GEOS decides exactly, so a point rounded next to a shared edge is in one feature only. Counted as agreement",
	ExplPostGISDistance: "PostGIS geography finds the nearest points on a sphere and then measures them on the spheroid, so its distance comes out a few parts in 100,000 too long (at most 7e-5 seen, 11 cm at 1.6 km); an independent brute-force geodesic reference (ReferenceDistance) matches sanxian's distance within tolerance. Counted as agreement",
	ExplBoundaryTouch:   "the site lies on or within 1 mm of the feature's boundary: one engine's floating-point predicate (sanxian: planar orientation in float64; PostGIS: GEOS) puts it exactly on the boundary, the other just off it",
	ExplBufferEdge:      "the feature is at the edge of the buffer (distance within 1 cm of buffer_m): the engines' geodesic distances differ by less than that",
	ExplSliver:          "both overlap areas are below sanxian's sliver tolerance (1 m²): the overlay libraries (polygol, GEOS) differ on a degenerate overlap",
	ExplSanxianDistance: "a real sanxian error: its distance is longer than the brute-force geodesic reference, which PostGIS matches. geo picks the nearest candidate with a local equirectangular metric (1 degree of latitude = 110,574 m everywhere, 0.3 % short at 31°N) and measures only that one geodesically, so of two candidates within about 0.3 % of each other it can report the farther",
	ExplUnexplained:     "not accounted for: a real disagreement",
}

// Disagreement is one difference between sanxian and PostGIS (or between
// sanxian in process and over HTTP) on one query and feature.
type Disagreement struct {
	QueryID string  `json:"query_id"`
	Class   string  `json:"class"`
	Kind    string  `json:"kind"`
	BufferM float64 `json:"buffer_m"`
	WKT     string  `json:"wkt"`
	Feature Key     `json:"feature"`
	// What differs: only_sanxian, only_postgis, contact, area, length,
	// distance or http (in process and HTTP answers differ).
	What       string   `json:"what"`
	Sanxian    *Measure `json:"sanxian,omitempty"`
	PostGIS    *Measure `json:"postgis,omitempty"`
	HTTP       *Measure `json:"sanxian_http,omitempty"` // for what = http
	Difference float64  `json:"difference,omitempty"`
	DistanceM  *float64 `json:"postgis_distance_m,omitempty"` // site to feature, geography
	PlanarDeg  *float64 `json:"postgis_planar_distance_deg,omitempty"`
	// ReferenceM is the brute-force geodesic distance (ReferenceDistance)
	// for distance disagreements.
	ReferenceM  *float64 `json:"reference_distance_m,omitempty"`
	Explanation string   `json:"explanation"`
}

// Stats are the differences between measures on features both engines
// hit: max and mean absolute difference, and the largest relative one.
type Stats struct {
	N       int     `json:"n"`
	MaxAbs  float64 `json:"max_abs"`
	MeanAbs float64 `json:"mean_abs"`
	MaxRel  float64 `json:"max_rel"`
	sum     float64
}

func (s *Stats) add(a, b float64) {
	d := math.Abs(a - b)
	s.N++
	s.sum += d
	s.MaxAbs = math.Max(s.MaxAbs, d)
	if m := math.Max(math.Abs(a), math.Abs(b)); m > 0 {
		s.MaxRel = math.Max(s.MaxRel, d/m)
	}
	s.MeanAbs = s.sum / float64(s.N)
}

// Speed is one engine's throughput on one class.
type Speed struct {
	Queries int     `json:"queries"` // answered in the timed passes
	Seconds float64 `json:"seconds"`
	QPS     float64 `json:"qps"`
}

// ClassReport sums up one query class.
type ClassReport struct {
	Class string `json:"class"`
	N     int    `json:"n"`
	// Identical: queries with no difference at all; Agreeing: queries
	// whose differences all count as agreement (see Agrees).
	Identical    int     `json:"identical"`
	IdenticalPct float64 `json:"identical_pct"`
	Agreeing     int     `json:"agreeing"`
	AgreementPct float64 `json:"agreement_pct"`
	Hits         int     `json:"hits"` // features hit, by PostGIS
	Area         Stats   `json:"area_m2"`
	Length       Stats   `json:"length_m"`
	Distance     Stats   `json:"distance_m"`
	Sanxian      Speed   `json:"sanxian"`
	HTTP         *Speed  `json:"sanxian_http,omitempty"`
	PostGIS      Speed   `json:"postgis"`
	// RatioInProcess and RatioHTTP are sanxian's qps over PostGIS's.
	RatioInProcess float64  `json:"ratio_in_process"`
	RatioHTTP      *float64 `json:"ratio_http,omitempty"`
}

// Report is the outcome of a Run.
type Report struct {
	Dataset        string `json:"dataset"` // label, e.g. sample or x10
	DatasetName    string `json:"dataset_name"`
	DatasetVersion string `json:"dataset_version"`
	Checksum       string `json:"checksum"`
	Features       int    `json:"features"`
	Vertices       int    `json:"vertices"`
	Date           string `json:"date"`
	CPUs           int    `json:"cpus"`
	Workers        int    `json:"workers"`
	PostGISVersion string `json:"postgis_version"`
	Seed           uint64 `json:"seed"`
	MinDuration    string `json:"min_duration_per_measurement"`
	// Load is the system's load average (1, 5, 15 min) at the start and
	// the end of the run (/proc/loadavg; empty elsewhere): on a shared
	// machine it says how much the speeds were disturbed.
	Load          [2]string      `json:"load_average"`
	Tolerances    Tolerances     `json:"tolerances"`
	Classes       []ClassReport  `json:"classes"`
	Total         int            `json:"total"`
	Identical     int            `json:"identical"`
	IdenticalPct  float64        `json:"identical_pct"`
	Agreeing      int            `json:"agreeing"`
	AgreementPct  float64        `json:"agreement_pct"`
	ByExplanation map[string]int `json:"disagreements_by_explanation"`
	Disagreements []Disagreement `json:"disagreements"`
}

// Engine answers one query.
type Engine interface {
	Query(ctx context.Context, q Query) (Answer, error)
}

// Config is what Run compares.
type Config struct {
	Dataset *admission.Dataset
	Label   string // names the dataset in the report
	PostGIS *PostGIS
	// HTTP is a sanxian server serving Dataset; nil skips the HTTP path.
	HTTP Engine
	Seed uint64
	// Counts per class; nil means DefaultCounts.
	Counts Counts
	// Workers run queries concurrently, in every engine alike (PostGIS
	// gets as many connections); 0 means the number of CPUs.
	Workers int
	// MinDuration: each engine repeats a class's queries until this much
	// time has passed (at least once) for the speed figures.
	MinDuration time.Duration
	// Tolerances; the zero value means DefaultTolerances.
	Tolerances Tolerances
}

// Run generates the queries, runs them through every engine, compares
// the answers and measures throughput. A failed query in any engine is
// an error: a comparison with holes would not be one.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if cfg.Counts == nil {
		cfg.Counts = DefaultCounts()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.Tolerances == (Tolerances{}) {
		cfg.Tolerances = DefaultTolerances
	}
	qs, err := Generate(cfg.Dataset, cfg.Seed, cfg.Counts)
	if err != nil {
		return nil, err
	}
	ver, err := cfg.PostGIS.Version(ctx)
	if err != nil {
		return nil, err
	}
	info := cfg.Dataset.Info()
	rep := &Report{
		Dataset: cfg.Label, DatasetName: info.Name, DatasetVersion: info.Version, Checksum: info.Checksum,
		Date: time.Now().UTC().Format(time.RFC3339), CPUs: runtime.NumCPU(), Workers: cfg.Workers,
		PostGISVersion: ver, Seed: cfg.Seed, MinDuration: cfg.MinDuration.String(), Tolerances: cfg.Tolerances,
		ByExplanation: map[string]int{},
	}
	for _, l := range cfg.Dataset.Layers() {
		rep.Features += len(l.Features)
		for _, f := range l.Features {
			rep.Vertices += geo.CountVertices(f.Geometry)
		}
	}
	rep.Load[0] = loadAverage()
	sx := NewSanxian(cfg.Dataset)
	for _, class := range Classes {
		var cq []Query
		for _, q := range qs {
			if q.Class == class {
				cq = append(cq, q)
			}
		}
		if len(cq) == 0 {
			continue
		}
		cr, dis, err := runClass(ctx, cfg, sx, class, cq)
		if err != nil {
			return nil, err
		}
		rep.Classes = append(rep.Classes, cr)
		rep.Disagreements = append(rep.Disagreements, dis...)
		rep.Total += cr.N
		rep.Agreeing += cr.Agreeing
		rep.Identical += cr.Identical
	}
	rep.Load[1] = loadAverage()
	for _, d := range rep.Disagreements {
		rep.ByExplanation[d.Explanation]++
	}
	if rep.Total > 0 {
		rep.AgreementPct = 100 * float64(rep.Agreeing) / float64(rep.Total)
		rep.IdenticalPct = 100 * float64(rep.Identical) / float64(rep.Total)
	}
	return rep, nil
}

// pass answers every query of a class once.
type pass func(ctx context.Context) ([]Answer, error)

// engineRun accumulates one engine's passes.
type engineRun struct {
	pass    pass
	answers []Answer // of the first pass
	queries int
	elapsed time.Duration
}

// measure runs the engines' passes interleaved in rounds, each engine
// running passes for about a quarter of minDur per round (at least one),
// until every engine has run for minDur: load from other processes then
// falls on all engines alike. The first pass gives the answers.
func measure(ctx context.Context, n int, minDur time.Duration, runs []*engineRun) error {
	slice := min(minDur/4, time.Second)
	for round := 0; ; round++ {
		more := false
		for _, r := range runs {
			if round > 0 && r.elapsed >= minDur {
				continue
			}
			start := time.Now()
			for first := true; first || time.Since(start) < slice; first = false {
				t0 := time.Now()
				a, err := r.pass(ctx)
				if err != nil {
					return err
				}
				r.elapsed += time.Since(t0)
				r.queries += n
				if r.answers == nil {
					r.answers = a
				}
			}
			more = more || r.elapsed < minDur
		}
		if !more {
			return nil
		}
	}
}

func (r *engineRun) speed() Speed {
	s := Speed{Queries: r.queries, Seconds: r.elapsed.Seconds()}
	if s.Seconds > 0 {
		s.QPS = float64(s.Queries) / s.Seconds
	}
	return s
}

func runClass(ctx context.Context, cfg Config, sx *Sanxian, class string, cq []Query) (ClassReport, []Disagreement, error) {
	cr := ClassReport{Class: class, N: len(cq)}
	// sanxian answers the batch's points concurrently with the workers;
	// PostGIS with one COPY and one join (what a database user would
	// write).
	sxRun := &engineRun{pass: concurrent(cq, cfg.Workers, sx.Query)}
	pgRun := &engineRun{pass: concurrent(cq, cfg.Workers, cfg.PostGIS.Query)}
	if class == ClassBatch {
		pgRun.pass = func(ctx context.Context) ([]Answer, error) { return cfg.PostGIS.Batch(ctx, cq) }
	}
	runs := []*engineRun{sxRun, pgRun}
	var httpRun *engineRun
	if cfg.HTTP != nil && class != ClassBatch {
		httpRun = &engineRun{pass: concurrent(cq, cfg.Workers, cfg.HTTP.Query)}
		runs = append(runs, httpRun)
	}
	if err := measure(ctx, len(cq), cfg.MinDuration, runs); err != nil {
		return cr, nil, err
	}
	cr.Sanxian, cr.PostGIS = sxRun.speed(), pgRun.speed()
	if cr.PostGIS.QPS > 0 {
		cr.RatioInProcess = cr.Sanxian.QPS / cr.PostGIS.QPS
	}
	if httpRun != nil {
		sp := httpRun.speed()
		cr.HTTP = &sp
		if cr.PostGIS.QPS > 0 {
			r := sp.QPS / cr.PostGIS.QPS
			cr.RatioHTTP = &r
		}
	}
	var all []Disagreement
	for i, q := range cq {
		cr.Hits += len(pgRun.answers[i])
		dis := diff(q, sxRun.answers[i], pgRun.answers[i], cfg.Tolerances, &cr, class == ClassBatch)
		if httpRun != nil {
			dis = append(dis, diffHTTP(q, sxRun.answers[i], httpRun.answers[i])...)
		}
		for j := range dis {
			if err := explain(ctx, cfg, q, &dis[j]); err != nil {
				return cr, nil, err
			}
		}
		if len(dis) == 0 {
			cr.Identical++
		}
		agrees := true
		for _, d := range dis {
			agrees = agrees && Agrees(d.Explanation)
		}
		if agrees {
			cr.Agreeing++
		}
		all = append(all, dis...)
	}
	cr.AgreementPct = 100 * float64(cr.Agreeing) / float64(cr.N)
	cr.IdenticalPct = 100 * float64(cr.Identical) / float64(cr.N)
	return cr, all, nil
}

// concurrent makes a pass that answers qs with workers goroutines.
func concurrent(qs []Query, workers int, fn func(context.Context, Query) (Answer, error)) pass {
	return func(ctx context.Context) ([]Answer, error) {
		answers := make([]Answer, len(qs))
		var next atomic.Int64
		var wg sync.WaitGroup
		var once sync.Once
		var firstErr error
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= len(qs) {
						return
					}
					a, err := fn(ctx, qs[i])
					if err != nil {
						once.Do(func() { firstErr = err })
						return
					}
					answers[i] = a
				}
			}()
		}
		wg.Wait()
		return answers, firstErr
	}
}

func sortedKeys(a, b Answer) []Key {
	seen := map[Key]bool{}
	var keys []Key
	for _, m := range []Answer{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Layer != keys[j].Layer {
			return keys[i].Layer < keys[j].Layer
		}
		return keys[i].ID < keys[j].ID
	})
	return keys
}

func val(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// diff compares sanxian's and PostGIS's answers to q and adds the
// measures of features both hit to cr's statistics. contactOnly (the
// batch) compares contacts only: the batch join asks for no measures.
func diff(q Query, sx, pg Answer, tol Tolerances, cr *ClassReport, contactOnly bool) []Disagreement {
	var out []Disagreement
	for _, k := range sortedKeys(sx, pg) {
		s, inS := sx[k]
		p, inP := pg[k]
		d := Disagreement{QueryID: q.ID, Class: q.Class, Kind: q.Kind, BufferM: q.BufferM, Feature: k}
		if inS {
			d.Sanxian = &s
		}
		if inP {
			d.PostGIS = &p
		}
		switch {
		case !inP:
			d.What = "only_sanxian"
		case !inS:
			d.What = "only_postgis"
		case s.Contact != p.Contact:
			d.What = "contact"
		}
		if d.What != "" {
			out = append(out, d)
			continue
		}
		if contactOnly {
			continue
		}
		if s.Contact && (s.AreaM2 != nil || p.AreaM2 != nil) {
			a, b := val(s.AreaM2), val(p.AreaM2)
			cr.Area.add(a, b)
			if !within(a, b, tol.AreaAbsM2, tol.AreaRel) {
				d.What, d.Difference = "area", a-b
			}
		}
		if s.Contact && (s.LengthM != nil || p.LengthM != nil) {
			a, b := val(s.LengthM), val(p.LengthM)
			cr.Length.add(a, b)
			if d.What == "" && !within(a, b, tol.LengthAbsM, tol.LengthRel) {
				d.What, d.Difference = "length", a-b
			}
		}
		if !s.Contact {
			a, b := val(s.DistanceM), val(p.DistanceM)
			cr.Distance.add(a, b)
			if !within(a, b, tol.DistanceAbs, tol.DistanceRel) {
				d.What, d.Difference = "distance", a-b
			}
		}
		if d.What != "" {
			out = append(out, d)
		}
	}
	return out
}

// diffHTTP reports features where sanxian over HTTP answered differently
// from sanxian in process: they run the same code, so any difference is
// a bug (unexplained).
func diffHTTP(q Query, sx, h Answer) []Disagreement {
	var out []Disagreement
	for _, k := range sortedKeys(sx, h) {
		s, inS := sx[k]
		x, inH := h[k]
		if inS && inH && s.Contact == x.Contact && val(s.AreaM2) == val(x.AreaM2) &&
			val(s.LengthM) == val(x.LengthM) && val(s.DistanceM) == val(x.DistanceM) {
			continue
		}
		d := Disagreement{QueryID: q.ID, Class: q.Class, Kind: q.Kind, BufferM: q.BufferM, Feature: k, What: "http", Explanation: ExplUnexplained}
		if inS {
			d.Sanxian = &s
		}
		if inH {
			d.HTTP = &x
		}
		out = append(out, d)
	}
	return out
}

// boundaryEpsDeg is sanxian's boundary rule (geo's boundaryEps): a point
// within 1e-9° (about 0.1 mm) of an edge lies on it, so that a point
// typed from a shared vertex or an edge's midpoint belongs to both
// features despite rounding. A little slack for the arithmetic.
const boundaryEpsDeg = 1.0001e-9

// explain fills in the site's WKT and the explanation class.
func explain(ctx context.Context, cfg Config, q Query, d *Disagreement) error {
	d.WKT = string(wkt.MarshalString(q.Site))
	if d.Explanation != "" {
		return nil
	}
	tol := cfg.Tolerances
	d.Explanation = ExplUnexplained
	switch d.What {
	case "only_sanxian", "only_postgis", "contact":
		dist, planar, err := cfg.PostGIS.Diagnose(ctx, q, d.Feature)
		if err != nil {
			return err
		}
		d.DistanceM, d.PlanarDeg = &dist, &planar
		sxContact := d.Sanxian != nil && d.Sanxian.Contact
		pgContact := d.PostGIS != nil && d.PostGIS.Contact
		switch {
		case sxContact && !pgContact && siteDim(q.Site) == 0 && planar <= boundaryEpsDeg:
			d.Explanation = ExplBoundaryRule
		case dist <= tol.BoundaryM:
			d.Explanation = ExplBoundaryTouch
		case q.BufferM > 0 && math.Abs(dist-q.BufferM) <= tol.BufferEdgeM:
			d.Explanation = ExplBufferEdge
		}
	case "area":
		sliver := geo.DefaultTolerance.MinAreaM2
		if val(d.Sanxian.AreaM2) < sliver && val(d.PostGIS.AreaM2) < sliver {
			d.Explanation = ExplSliver
		}
	case "distance":
		f, _, ok := cfg.Dataset.Feature(d.Feature.Layer, d.Feature.ID)
		if !ok {
			return fmt.Errorf("compare: %s: no feature %s", q.ID, d.Feature)
		}
		sx, pg := val(d.Sanxian.DistanceM), val(d.PostGIS.DistanceM)
		ref := ReferenceDistance(q.Site, f.Geometry, math.Max(sx, pg))
		d.ReferenceM = &ref
		// Whichever engine the reference confirms (sanxian rounds to
		// 0.01 m, within DistanceAbs).
		switch {
		case within(sx, ref, tol.DistanceAbs, tol.DistanceRel) && pg > ref:
			d.Explanation = ExplPostGISDistance
		case within(pg, ref, tol.DistanceAbs, tol.DistanceRel) && sx > ref:
			d.Explanation = ExplSanxianDistance
		}
	}
	return nil
}

// Agrees reports whether a disagreement of class expl still counts as
// agreement: sanxian's documented boundary rule, or a PostGIS distance
// shown too long by the reference while sanxian's matches it.
func Agrees(expl string) bool { return expl == ExplBoundaryRule || expl == ExplPostGISDistance }

// SanxianError reports whether a disagreement of class expl is an error
// on sanxian's side (or not accounted for at all).
func SanxianError(expl string) bool { return expl == ExplSanxianDistance || expl == ExplUnexplained }

// loadAverage returns the first three fields of /proc/loadavg, or "".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
