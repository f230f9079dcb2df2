package admission_test

import (
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/geo"
)

var (
	sampleFilesOnce sync.Once
	sampleFiles     data.Contents
	sampleFilesErr  error
)

// sampleContents reads the embedded sample once (not validated).
func sampleContents(tb testing.TB) data.Contents {
	tb.Helper()
	sampleFilesOnce.Do(func() { sampleFiles, sampleFilesErr = data.ReadDataset(data.Sample()) })
	require.NoError(tb, sampleFilesErr)
	return sampleFiles
}

func sampleLayer(tb testing.TB, id string) admission.Layer {
	tb.Helper()
	for _, l := range sampleContents(tb).Layers {
		if l.ID == id {
			return l
		}
	}
	tb.Fatalf("sample has no layer %s", id)
	return admission.Layer{}
}

// The sample was generated as an exact partition (units = districts =
// territory): no errors, no warnings, no overlap or gap at all.
func TestSampleValidateDataset(t *testing.T) {
	c := sampleContents(t)
	start := time.Now()
	r := admission.ValidateDataset(c.Info, c.Layers, c.Rules, admission.ValidateOptions{})
	t.Logf("ValidateDataset on the sample: %v (%d features, %d vertices, %d clauses)", time.Since(start), r.Stats.Features, r.Stats.Vertices, r.Stats.Clauses)
	assert.Empty(t, r.Errors)
	assert.Empty(t, r.Warnings)
	assert.True(t, r.OK())
	assert.Equal(t, c.Info.Checksum, r.Dataset.Checksum)
	require.Len(t, r.Stats.Partitions, 2)
	for _, st := range r.Stats.Partitions {
		t.Logf("%+v", st)
		assert.Zero(t, st.Skipped, st.Layer)
		assert.Zero(t, st.Failed, st.Layer)
		assert.Zero(t, st.Overlaps, st.Layer)
		assert.Zero(t, st.Gaps, st.Layer)
		assert.Zero(t, st.OutsideAreaM2, st.Layer)
		assert.Less(t, st.SliverAreaM2, 1.0, st.Layer)
	}
	units := r.Stats.Partitions[1]
	assert.Equal(t, admission.LayerControlUnits, units.Layer)
	assert.Equal(t, 785, units.Features)
	assert.Equal(t, admission.GapRefDistricts, units.GapReference)
	assert.Greater(t, units.CandidatePairs, 1000)
	assert.Equal(t, admission.GapRefHull, r.Stats.Partitions[0].GapReference)
}

// Damage the sample and find the damage again: a unit taken out leaves a
// gap of its area in its district; a unit copied under another code
// overlaps it by its whole area.
func TestSamplePartitionFindsDamage(t *testing.T) {
	units, districts := sampleLayer(t, admission.LayerControlUnits), sampleLayer(t, admission.LayerDistricts)
	const k = 100 // a unit well inside the territory
	gone := units.Features[k]
	want := geo.Area(gone.Geometry)

	t.Run("missing unit", func(t *testing.T) {
		l := units
		l.Features = append(append([]admission.Feature{}, units.Features[:k]...), units.Features[k+1:]...)
		r := admission.CheckPartition(l, &districts, admission.ValidateOptions{})
		assert.Empty(t, r.Errors)
		gaps := 0.0
		for _, p := range r.Warnings {
			require.Equal(t, admission.CodeGap, p.Code, "%v", p)
			assert.Equal(t, gone.ID[2:8], p.Related[0], "the gap lies in the unit's district")
			require.NotNil(t, p.Location)
			assert.True(t, containsPoint(gone.Geometry, orb.Point(*p.Location)), "gap location %v outside the missing unit", *p.Location)
			gaps += p.AreaM2
		}
		assert.NotEmpty(t, r.Warnings)
		assert.InEpsilon(t, want, gaps, 1e-6, "gaps %.2f m², unit %.2f m²", gaps, want)
	})
	t.Run("duplicated unit", func(t *testing.T) {
		l := units
		dup := gone
		dup.ID = gone.ID[:9] + "9999"
		l.Features = append(append([]admission.Feature{}, units.Features...), dup)
		r := admission.CheckPartition(l, &districts, admission.ValidateOptions{})
		require.Len(t, r.Errors, 1, "%v", r.Errors)
		p := r.Errors[0]
		assert.Equal(t, admission.CodeOverlap, p.Code)
		assert.Equal(t, gone.ID, p.Feature)
		assert.Equal(t, []string{dup.ID}, p.Related)
		assert.InEpsilon(t, want, p.AreaM2, 1e-6)
		assert.Empty(t, r.Warnings)
	})
}

func containsPoint(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}

// BenchmarkPartitionSample is the overlay check of the sample's 785 units
// against its 38 districts (overlaps, gaps, units outside).
func BenchmarkPartitionSample(b *testing.B) {
	units, districts := sampleLayer(b, admission.LayerControlUnits), sampleLayer(b, admission.LayerDistricts)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := admission.CheckPartition(units, &districts, admission.ValidateOptions{})
		if len(r.Errors)+len(r.Warnings) > 0 {
			b.Fatalf("problems on the sample: %v %v", r.Errors, r.Warnings)
		}
	}
}

// BenchmarkValidateDatasetSample is every check on the sample, as
// `sanxian validate --sample` runs them (reading excluded).
func BenchmarkValidateDatasetSample(b *testing.B) {
	c := sampleContents(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if r := admission.ValidateDataset(c.Info, c.Layers, c.Rules, admission.ValidateOptions{}); !r.OK() {
			b.Fatal(r.Err())
		}
	}
}

// BenchmarkPartitionSampleNaive is the baseline for BenchmarkPartitionSample:
// the same overlays without the R-tree (every pair's bounds compared),
// without clipping to the common box, on one core.
func BenchmarkPartitionSampleNaive(b *testing.B) {
	units, districts := sampleLayer(b, admission.LayerControlUnits), sampleLayer(b, admission.LayerDistricts)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if found := naivePartition(b, units, districts); found > 1 {
			b.Fatalf("naive check found %.2f m² of overlaps, gaps and strays on the sample", found)
		}
	}
}

// naivePartition returns the total area of overlaps, gaps and unit parts
// outside the districts.
func naivePartition(tb testing.TB, units, districts admission.Layer) float64 {
	total := 0.0
	for i, a := range units.Features {
		for _, c := range units.Features[i+1:] {
			if !a.Geometry.Bound().Intersects(c.Geometry.Bound()) {
				continue
			}
			res, err := geo.Overlay(geo.Intersection, geo.AsMultiPolygon(a.Geometry), geo.AsMultiPolygon(c.Geometry))
			require.NoError(tb, err)
			total += geo.Area(res)
		}
	}
	for _, d := range districts.Features {
		var cover []orb.MultiPolygon
		for _, u := range units.Features {
			if d.Geometry.Bound().Intersects(u.Geometry.Bound()) {
				cover = append(cover, geo.AsMultiPolygon(u.Geometry))
			}
		}
		res, err := geo.Overlay(geo.Difference, geo.AsMultiPolygon(d.Geometry), cover...)
		require.NoError(tb, err)
		total += geo.Area(res)
	}
	for _, u := range units.Features {
		var cover []orb.MultiPolygon
		for _, d := range districts.Features {
			if d.Geometry.Bound().Intersects(u.Geometry.Bound()) {
				cover = append(cover, geo.AsMultiPolygon(d.Geometry))
			}
		}
		res, err := geo.Overlay(geo.Difference, geo.AsMultiPolygon(u.Geometry), cover...)
		require.NoError(tb, err)
		total += geo.Area(res)
	}
	return total
}
