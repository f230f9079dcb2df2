package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/geo"
)

// CheckRequest is a siting check: the site and what to look for.
type CheckRequest struct {
	// Geometry in CGCS2000 lon/lat; it must have passed geo.ValidateSite.
	Geometry orb.Geometry
	// BufferM ≥ 0 also reports features within that distance.
	BufferM float64
	// Layers restricts the check to these layer ids (all when empty);
	// unknown ids give an *UnknownLayerError.
	Layers []string
	// Project describes what is to be built; with a dataset that has an
	// access list, the answer carries an Assessment for it.
	Project Project
	// CRS names the coordinate system the site was given in (crs.Parse
	// names), only to be reported back: Geometry is already CGCS2000.
	// Empty means EPSG:4490.
	CRS string
}

// DatasetRef identifies the dataset an answer came from.
type DatasetRef struct {
	Name     string `json:"name"`
	Version  string `json:"version"`
	Checksum string `json:"checksum"`
	// Synthetic is true for generated sample data: not for real decisions.
	Synthetic bool `json:"synthetic"`
}

// Hit is a geo.Hit with the feature's descriptive attributes.
// Properties is the feature's other attributes as JSON, encoded once when
// the dataset is built (answers are encoded many times; the clause texts
// dominate them).
type Hit struct {
	geo.Hit
	LayerTitle string          `json:"layer_title"`
	Name       string          `json:"name"`
	Category   string          `json:"category"`
	Properties json.RawMessage `json:"properties,omitempty"`
}

// CheckResult is the answer to a CheckRequest. An empty Hits list means
// that nothing was found; a failed check returns an error instead.
type CheckResult struct {
	Dataset DatasetRef `json:"dataset"`
	// CRS is the coordinate system the site was given in; Query and the
	// hits are in CGCS2000 (EPSG:4490) whatever it was.
	CRS       string        `json:"crs"`
	Query     geo.SiteInfo  `json:"query"`
	BufferM   float64       `json:"buffer_m"`
	Hits      []Hit         `json:"hits"`
	Tolerance geo.Tolerance `json:"tolerance"`
	// Notes explain edge cases in Chinese, e.g. a point on a shared
	// boundary belonging to two units.
	Notes []string `json:"notes"`
	// Assessment is the admission verdict, present when the dataset has
	// an access list and the check was not limited to some layers.
	Assessment *Assessment `json:"assessment,omitempty"`
}

// UnknownLayerError reports layer ids that the dataset does not have.
type UnknownLayerError struct {
	Layers []string
	Known  []string
}

func (e *UnknownLayerError) Error() string {
	return fmt.Sprintf("admission: unknown layers %v (known: %v)", e.Layers, e.Known)
}

// ErrNoDataset is returned by a Store with nothing loaded.
var ErrNoDataset = errors.New("admission: no dataset loaded")

// Store holds the dataset in service. Replacing it is atomic: a check that
// started on the old dataset finishes on it. Safe for concurrent use.
type Store struct {
	cur atomic.Pointer[Dataset]
}

// Current returns the dataset in service, or nil when none is loaded.
func (s *Store) Current() *Dataset { return s.cur.Load() }

// Replace puts d in service and returns the previous dataset (or nil).
func (s *Store) Replace(d *Dataset) *Dataset { return s.cur.Swap(d) }

// Check runs req against the dataset.
func (d *Dataset) Check(ctx context.Context, req CheckRequest) (*CheckResult, error) {
	if err := d.checkLayers(req.Layers); err != nil {
		return nil, err
	}
	res, err := d.index.Query(ctx, geo.Query{Geometry: req.Geometry, BufferM: req.BufferM, Layers: req.Layers})
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	inputCRS := req.CRS
	if inputCRS == "" {
		inputCRS = "EPSG:4490"
	}
	out := &CheckResult{
		Dataset:   d.Ref(),
		CRS:       inputCRS,
		Query:     res.Site,
		BufferM:   req.BufferM,
		Hits:      make([]Hit, 0, len(res.Hits)),
		Tolerance: res.Tolerance,
		Notes:     []string{},
	}
	boundary := map[string][]string{}
	for _, h := range res.Hits {
		l := d.layers[d.layerPos[h.Layer]]
		f := &l.Features[h.Feature]
		h.ID = f.ID
		out.Hits = append(out.Hits, Hit{Hit: h, LayerTitle: l.Title, Name: f.Name, Category: f.Category, Properties: d.props[d.layerPos[h.Layer]][h.Feature]})
		if h.OnBoundary {
			boundary[h.Layer] = append(boundary[h.Layer], fmt.Sprintf("%s（%s）", f.Name, f.ID))
		}
	}
	for _, l := range d.layers {
		names := boundary[l.ID]
		switch {
		case len(names) > 1 && l.Role == RolePartition:
			out.Notes = append(out.Notes, fmt.Sprintf("点位于「%s」图层 %d 个要素的共有边界上，按规则同时归属：%v。", l.Title, len(names), joinCN(names)))
		case len(names) > 0:
			out.Notes = append(out.Notes, fmt.Sprintf("点位于「%s」图层要素的边界上：%v。", l.Title, joinCN(names)))
		}
	}
	if len(d.rules.Clauses) > 0 && len(req.Layers) == 0 {
		covered := coverage(out)
		switch {
		case covered == 0:
			// Outside every control unit the access list says nothing:
			// no verdict rather than a "compatible" by default.
			out.Notes = append(out.Notes, "场址不在数据集覆盖范围内（未落入任何环境管控单元），无法给出准入结论。")
		default:
			a, err := d.assess(ctx, req, out)
			if err != nil {
				return nil, fmt.Errorf("assess: %w", err)
			}
			out.Assessment = a
			if covered < 0.9999 {
				out.Notes = append(out.Notes, fmt.Sprintf("场址仅有 %.2f%% 落入环境管控单元，其余部分在数据集覆盖范围外，准入结论只针对覆盖部分。", covered*100))
			}
		}
	}
	return out, nil
}

// coverage is the share of the site inside the control units (1 for a
// point or line inside one, 0 outside all).
func coverage(res *CheckResult) float64 {
	share, in := 0.0, false
	for _, h := range res.Hits {
		if h.Layer != LayerControlUnits || !h.Inside() {
			continue
		}
		in = true
		switch {
		case h.OverlapRatio != nil:
			share += *h.OverlapRatio
		case h.OverlapLengthM != nil && res.Query.LengthM > 0:
			share += *h.OverlapLengthM / res.Query.LengthM
		default:
			share = 1
		}
	}
	if !in {
		return 0
	}
	return math.Min(share, 1)
}

// Industries returns the classification the dataset's rules use.
func (d *Dataset) Industries() *Industries { return d.industries }

// Rules returns the dataset's access list. Callers must not modify it.
func (d *Dataset) Rules() Rules { return d.rules }

func joinCN(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += "、"
		}
		out += x
	}
	return out
}

func (d *Dataset) checkLayers(ids []string) error {
	var unknown []string
	for _, id := range ids {
		if _, ok := d.layerPos[id]; !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	known := make([]string, len(d.layers))
	for i, l := range d.layers {
		known[i] = l.ID
	}
	return &UnknownLayerError{Layers: unknown, Known: known}
}
