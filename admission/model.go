package admission

import (
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/geo"
)

// Dataset is a loaded, validated and indexed dataset. It is immutable and
// safe for concurrent use.
type Dataset struct {
	info        Info
	layers      []Layer
	layerPos    map[string]int
	featPos     []map[string]int // per layer: feature id → index
	areas       [][]float64      // per layer, per feature: geodesic area (m²) for polygons
	props       [][]json.RawMessage
	rules       Rules
	clauseIndex clauseIndex
	industries  *Industries
	index       *geo.Index
	warnings    []Problem
}

// Options tune how a dataset is indexed and checked.
type Options struct {
	// Tolerance for slivers; zero value means geo.DefaultTolerance.
	Tolerance geo.Tolerance
	// MaxPieceVertices bounds the pieces large polygons are split into
	// when indexed; zero means the geo default (64).
	MaxPieceVertices int
	// Rules is the dataset's access list; it is validated against the
	// layers and the industry classification.
	Rules Rules
	// Industries is the GB/T 4754-2017 classification; nil means the
	// embedded one (NewIndustries).
	Industries *Industries
	// FullValidation runs every check of ValidateDataset, the overlays of
	// the partition layers included (about 2 s of CPU on the sample):
	// its errors refuse the dataset, its warnings are kept (Warnings).
	// Without it only Validate's checks and the clauses' are run.
	FullValidation bool
	// Workers bounds the goroutines of validation and indexing; zero or
	// negative means GOMAXPROCS. One does all the work on the calling
	// goroutine, so that a caller can run it on a low-priority thread.
	Workers int
}

// NewDataset validates layers and builds the index. An invalid feature
// makes it fail with a *ValidationError listing every problem found; no
// invalid feature is ever indexed.
func NewDataset(info Info, layers []Layer, opts Options) (*Dataset, error) {
	ind := opts.Industries
	if ind == nil {
		var err error
		if ind, err = NewIndustries(); err != nil {
			return nil, fmt.Errorf("industries: %w", err)
		}
	}
	var warnings []Problem
	if opts.FullValidation {
		rep := ValidateDataset(info, layers, opts.Rules, ValidateOptions{Industries: ind, Workers: opts.Workers})
		if len(rep.Errors) > 0 {
			return nil, &ValidationError{Problems: rep.Errors}
		}
		warnings = rep.Warnings
	} else {
		if probs, _ := validate(info, layers, opts.Workers); len(probs) > 0 {
			return nil, &ValidationError{Problems: probs}
		}
		if probs := validateClauses(opts.Rules, layers, ind); len(probs) > 0 {
			return nil, &ValidationError{Problems: probs}
		}
	}
	opts.Rules = normalizeRules(opts.Rules)
	d := &Dataset{info: info, layers: layers, layerPos: make(map[string]int, len(layers)), rules: opts.Rules, clauseIndex: newClauseIndex(opts.Rules), industries: ind, warnings: warnings}
	specs := make([]geo.LayerSpec, len(layers))
	for i, l := range layers {
		d.layerPos[l.ID] = i
		pos := make(map[string]int, len(l.Features))
		areas := make([]float64, len(l.Features))
		geoms := make([]orb.Geometry, len(l.Features))
		for j, f := range l.Features {
			pos[f.ID] = j
			geoms[j] = f.Geometry
		}
		props := make([]json.RawMessage, len(l.Features))
		for j, f := range l.Features {
			if len(f.Properties) == 0 {
				continue
			}
			b, err := json.Marshal(f.Properties)
			if err != nil {
				return nil, fmt.Errorf("layer %s feature %s: encode properties: %w", l.ID, f.ID, err)
			}
			props[j] = b
		}
		d.props = append(d.props, props)
		d.featPos = append(d.featPos, pos)
		d.areas = append(d.areas, areas)
		specs[i] = geo.LayerSpec{ID: l.ID, Geometries: geoms}
	}
	tol := opts.Tolerance
	if tol == (geo.Tolerance{}) {
		tol = geo.DefaultTolerance
	}
	idx, err := geo.NewIndex(specs, geo.IndexOptions{Tolerance: tol, MaxPieceVertices: opts.MaxPieceVertices, Workers: opts.Workers})
	if err != nil {
		return nil, fmt.Errorf("build index: %w", err)
	}
	d.index = idx
	for i, l := range layers {
		for j := range l.Features {
			d.areas[i][j] = idx.FeatureArea(l.ID, j)
		}
	}
	return d, nil
}

// Info returns the dataset's identity.
func (d *Dataset) Info() Info { return d.info }

// Warnings returns the warnings of the full validation (gaps in the
// partition, units outside the districts, retired county codes …): nil
// when the dataset was loaded without Options.FullValidation or had none.
// Callers must not modify them.
func (d *Dataset) Warnings() []Problem { return d.warnings }

// Ref returns the short identity carried by every answer.
func (d *Dataset) Ref() DatasetRef {
	return DatasetRef{Name: d.info.Name, Version: d.info.Version, Checksum: d.info.Checksum, Synthetic: d.info.Synthetic}
}

// Layers returns the layers in manifest order. Callers must not modify them.
func (d *Dataset) Layers() []Layer { return d.layers }

// Layer returns the layer with the given id.
func (d *Dataset) Layer(id string) (*Layer, bool) {
	i, ok := d.layerPos[id]
	if !ok {
		return nil, false
	}
	return &d.layers[i], true
}

// Feature returns a feature by layer and id, and its geodesic area in m²
// (0 for lines and points).
func (d *Dataset) Feature(layer, id string) (*Feature, float64, bool) {
	i, ok := d.layerPos[layer]
	if !ok {
		return nil, 0, false
	}
	j, ok := d.featPos[i][id]
	if !ok {
		return nil, 0, false
	}
	return &d.layers[i].Features[j], d.areas[i][j], true
}

// FeaturesIn returns the indexes (into Layer(layer).Features) of the
// features whose bounds intersect b, in ascending order. It returns nil for
// an unknown layer.
func (d *Dataset) FeaturesIn(layer string, b orb.Bound) []int {
	if _, ok := d.layerPos[layer]; !ok {
		return nil
	}
	return d.index.FeaturesIn(layer, b)
}

// FeatureArea returns the geodesic area in m² of feature j of layer.
func (d *Dataset) FeatureArea(layer string, j int) float64 {
	return d.areas[d.layerPos[layer]][j]
}
