package admission_test

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/internal/sampletest"
)

// wavyParcel is a star-shaped polygon of n vertices around c.
func wavyParcel(n int, c orb.Point, r float64) orb.Polygon {
	ring := make(orb.Ring, 0, n+1)
	for i := 0; i < n; i++ {
		t := 2 * math.Pi * float64(i) / float64(n)
		rr := r * (1 + 0.25*math.Sin(5*t) + 0.05*math.Sin(23*t))
		ring = append(ring, orb.Point{c[0] + rr*math.Cos(t), c[1] + rr*math.Sin(t)})
	}
	return orb.Polygon{append(ring, ring[0])}
}

// A random point of the territory lies in exactly one control unit and
// one district, and the unit belongs to that district, unless it lies on
// an edge, where it belongs to every unit sharing it.
func TestSamplePointInExactlyOneUnit(t *testing.T) {
	d := sampletest.Dataset(t)
	rng := rand.New(rand.NewPCG(20, 26))
	checked := 0
	for i := 0; i < 3000; i++ {
		p := orb.Point{105.3 + rng.Float64()*4.9, 28.2 + rng.Float64()*4}
		res, err := d.Check(context.Background(), admission.CheckRequest{Geometry: p, Layers: []string{admission.LayerControlUnits, admission.LayerDistricts}})
		require.NoError(t, err)
		var units, districts []admission.Hit
		for _, h := range res.Hits {
			if h.OnBoundary {
				continue
			}
			if h.Layer == admission.LayerControlUnits {
				units = append(units, h)
			} else {
				districts = append(districts, h)
			}
		}
		if len(units) == 0 && len(districts) == 0 {
			continue // outside Chongqing
		}
		checked++
		require.Len(t, units, 1, "point %v", p)
		require.Len(t, districts, 1, "point %v", p)
		var props struct {
			County string `json:"county_code"`
		}
		require.NoError(t, json.Unmarshal(units[0].Properties, &props))
		assert.Equal(t, districts[0].ID, props.County, "point %v", p)
		assert.Equal(t, geo.Within, units[0].Relation)
	}
	assert.Greater(t, checked, 1000)
}

// The overlaps of any site with a partition add up to the site's area.
func TestSampleOverlapsWithPartitionSumToSiteArea(t *testing.T) {
	d := sampletest.Dataset(t)
	dist, ok := d.Layer(admission.LayerDistricts)
	require.True(t, ok)
	rng := rand.New(rand.NewPCG(7, 30))
	for i := 0; i < 40; i++ {
		// Centre on a district seat so that the site lies inside Chongqing.
		seat := dist.Features[rng.IntN(len(dist.Features))].Properties["seat"].([]any)
		c := orb.Point{seat[0].(float64) + (rng.Float64()-0.5)*0.02, seat[1].(float64) + (rng.Float64()-0.5)*0.02}
		site := wavyParcel(400, c, 0.005+rng.Float64()*0.03)
		require.NoError(t, geo.ValidateSite(site, geo.Limits{}))
		for _, layer := range []string{admission.LayerControlUnits, admission.LayerDistricts} {
			res, err := d.Check(context.Background(), admission.CheckRequest{Geometry: site, Layers: []string{layer}})
			require.NoError(t, err)
			sum := 0.0
			for _, h := range res.Hits {
				if h.OverlapAreaM2 != nil {
					sum += *h.OverlapAreaM2
				}
			}
			assert.InDelta(t, res.Query.AreaM2, sum, res.Query.AreaM2*1e-4, "site %d layer %s", i, layer)
		}
	}
}

func BenchmarkSampleLoad(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c, err := data.ReadDataset(data.Sample())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Open(admission.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPoints() []orb.Point {
	rng := rand.New(rand.NewPCG(1, 1))
	pts := make([]orb.Point, 4096)
	for i := range pts {
		pts[i] = orb.Point{105.8 + rng.Float64()*3.5, 28.6 + rng.Float64()*3}
	}
	return pts
}

// benchChecks runs the requests round-robin on the sample indexed as
// usual ("pieces") and on the sample indexed without cutting polygons
// into pieces ("unsplit", the baseline). The requests name every layer,
// which leaves the access list out: these measure the geometry engine;
// the Verdict benchmarks measure the assessment.
func benchChecks(b *testing.B, reqs []admission.CheckRequest) {
	c, err := data.ReadDataset(data.Sample())
	require.NoError(b, err)
	var all []string
	for _, l := range c.Layers {
		all = append(all, l.ID)
	}
	for i := range reqs {
		reqs[i].Layers = all
	}
	for _, v := range []struct {
		name string
		maxV int
	}{{"pieces", 0}, {"unsplit", 1 << 30}} {
		d, err := c.Open(admission.Options{MaxPieceVertices: v.maxV})
		require.NoError(b, err)
		b.Run(v.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := d.Check(ctx, reqs[i%len(reqs)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSamplePointCheck(b *testing.B) {
	var reqs []admission.CheckRequest
	for _, p := range benchPoints() {
		reqs = append(reqs, admission.CheckRequest{Geometry: p})
	}
	benchChecks(b, reqs)
}

func BenchmarkSamplePolygon1000Check(b *testing.B) {
	var reqs []admission.CheckRequest
	for _, p := range benchPoints()[:64] {
		reqs = append(reqs, admission.CheckRequest{Geometry: wavyParcel(999, p, 0.012)}) // ≈ 2.5 km across
	}
	benchChecks(b, reqs)
}

func BenchmarkSampleLine50kmCheck(b *testing.B) {
	var reqs []admission.CheckRequest
	for _, p := range benchPoints()[:64] {
		l := make(orb.LineString, 200)
		for j := range l {
			l[j] = p
			a := 0.4 + 0.3*math.Sin(float64(j)/15)
			p = orb.Point{p[0] + 0.0026*math.Cos(a), p[1] + 0.0022*math.Sin(a)}
		}
		reqs = append(reqs, admission.CheckRequest{Geometry: l, BufferM: 1000})
	}
	benchChecks(b, reqs)
}

// Verdict benchmarks: a check that carries an industry and a
// construction type, with the full assessment, on the sample's rules;
// NoIndustry: the default check, which lists every applicable clause
// and measures every spatial condition.
func BenchmarkSampleVerdictPointNoIndustry(b *testing.B) {
	d := sampletest.Dataset(b)
	pts := benchPoints()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Check(ctx, admission.CheckRequest{Geometry: pts[i%len(pts)]}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSampleVerdictPoint(b *testing.B) {
	d := sampletest.Dataset(b)
	pts := benchPoints()
	ctx := context.Background()
	p := admission.Project{Industry: "C2614", Construction: "新建"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Check(ctx, admission.CheckRequest{Geometry: pts[i%len(pts)], Project: p}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSampleVerdictPolygon1000(b *testing.B) {
	d := sampletest.Dataset(b)
	var sites []orb.Polygon
	for _, p := range benchPoints()[:64] {
		sites = append(sites, wavyParcel(999, p, 0.012))
	}
	ctx := context.Background()
	p := admission.Project{Industry: "C2614", Construction: "新建"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Check(ctx, admission.CheckRequest{Geometry: sites[i%len(sites)], Project: p}); err != nil {
			b.Fatal(err)
		}
	}
}

// The sample's access list gives the verdicts a planner expects at 渝中区's
// seat, 658 m from the Yangtze.
func TestSampleVerdicts(t *testing.T) {
	d := sampletest.Dataset(t)
	seat := orb.Point{106.569, 29.553}
	check := func(p admission.Project) *admission.Assessment {
		res, err := d.Check(context.Background(), admission.CheckRequest{Geometry: seat, Project: p})
		require.NoError(t, err)
		require.NotNil(t, res.Assessment)
		return res.Assessment
	}
	a := check(admission.Project{Industry: "C2614", Construction: "新建"})
	assert.Equal(t, admission.VerdictProhibited, a.Verdict)
	var yangtze *admission.ClauseResult
	for i := range a.Clauses {
		if a.Clauses[i].ID == "CQ-1-06" {
			yangtze = &a.Clauses[i]
		}
	}
	require.NotNil(t, yangtze, "the 1 km rule applies")
	assert.Equal(t, admission.OutcomeTriggered, yangtze.Outcome)
	var dist *float64
	for _, p := range yangtze.Places {
		if p.DistanceM != nil {
			dist = p.DistanceM
		}
	}
	require.NotNil(t, dist)
	assert.InDelta(t, 658, *dist, 5)

	assert.Equal(t, admission.VerdictCompatible, check(admission.Project{Industry: "I6450", Construction: "新建"}).Verdict)
	none := check(admission.Project{})
	assert.Equal(t, admission.VerdictInsufficient, none.Verdict)
	assert.Contains(t, none.Missing, "industry")
}
