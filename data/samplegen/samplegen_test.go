package samplegen_test

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/peterstace/simplefeatures/geom"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/geodesic"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/data/samplegen"
)

// golden is the committed sample, relative to this package.
const golden = "../sample/chongqing"

var (
	genOnce sync.Once
	genRes  *samplegen.Result
	genErr  error
)

// sample generates the scale-1 dataset once for all tests.
func sample(t *testing.T) *samplegen.Result {
	t.Helper()
	if testing.Short() {
		t.Skip("generating the sample takes several seconds")
	}
	genOnce.Do(func() { genRes, genErr = samplegen.Generate(samplegen.Options{Scale: testScale()}) })
	require.NoError(t, genErr)
	return genRes
}

// testScale is 1, or SAMPLEGEN_TEST_SCALE to check a bigger copy (the
// golden test is then skipped and the expected counts scale with it).
func testScale() int {
	if v, err := strconv.Atoi(os.Getenv("SAMPLEGEN_TEST_SCALE")); err == nil && v > 1 {
		return v
	}
	return 1
}

func layer(t *testing.T, res *samplegen.Result, id string) admission.Layer {
	t.Helper()
	for _, l := range res.Layers {
		if l.ID == id {
			return l
		}
	}
	t.Fatalf("no layer %s", id)
	return admission.Layer{}
}

// TestGolden regenerates the sample and compares it byte for byte with the
// committed folder. Regenerate with: go run ./cmd/samplegen -out data/sample/chongqing
func TestGolden(t *testing.T) {
	res := sample(t)
	if testScale() != 1 {
		t.Skip("golden comparison only at scale 1")
	}
	if runtime.GOARCH != "amd64" {
		// Other architectures may fuse floating-point operations (FMA),
		// which can move a few coordinates by one unit in the last place.
		t.Skip("the committed sample was generated on amd64")
	}
	dir := t.TempDir()
	_, err := data.WriteDataset(dir, data.Contents{Info: res.Info, Layers: res.Layers, Rules: res.Rules})
	require.NoError(t, err)
	want, err := os.ReadDir(golden)
	require.NoError(t, err)
	got, err := os.ReadDir(dir)
	require.NoError(t, err)
	names := func(es []os.DirEntry) []string {
		var s []string
		for _, e := range es {
			s = append(s, e.Name())
		}
		return s
	}
	require.Equal(t, names(want), names(got))
	for _, e := range want {
		a, err := os.ReadFile(filepath.Join(golden, e.Name()))
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		require.Truef(t, bytes.Equal(a, b), "%s differs from the committed sample; regenerate with go run ./cmd/samplegen", e.Name())
	}
}

// TestDeterministic checks that two runs in one process agree (this holds
// on every architecture).
func TestDeterministic(t *testing.T) {
	res := sample(t)
	again, err := samplegen.Generate(samplegen.Options{})
	require.NoError(t, err)
	a, b := t.TempDir(), t.TempDir()
	sa, err := data.WriteDataset(a, data.Contents{Info: res.Info, Layers: res.Layers, Rules: res.Rules})
	require.NoError(t, err)
	sb, err := data.WriteDataset(b, data.Contents{Info: again.Info, Layers: again.Layers, Rules: again.Rules})
	require.NoError(t, err)
	require.Equal(t, sa, sb)
}

// TestCommittedLoads reads the committed folder and validates it with the
// loader's rules.
func TestCommittedLoads(t *testing.T) {
	c, err := data.LoadDir(golden)
	require.NoError(t, err)
	require.True(t, c.Info.Synthetic)
	require.Equal(t, "EPSG:4490", c.Info.CRS)
	require.Equal(t, samplegen.Name, c.Info.Name)
	require.NoError(t, admission.Validate(c.Info, c.Layers))
	require.NotEmpty(t, c.Rules.Clauses)
	_, err = c.Open(admission.Options{})
	require.NoError(t, err)
}

var wantDistricts = []string{
	"500101 万州区", "500102 涪陵区", "500103 渝中区", "500104 大渡口区", "500105 江北区",
	"500106 沙坪坝区", "500107 九龙坡区", "500108 南岸区", "500109 北碚区", "500110 綦江区",
	"500111 大足区", "500112 渝北区", "500113 巴南区", "500114 黔江区", "500115 长寿区",
	"500116 江津区", "500117 合川区", "500118 永川区", "500119 南川区", "500120 璧山区",
	"500151 铜梁区", "500152 潼南区", "500153 荣昌区", "500154 开州区", "500155 梁平区",
	"500156 武隆区", "500229 城口县", "500230 丰都县", "500231 垫江县", "500233 忠县",
	"500235 云阳县", "500236 奉节县", "500237 巫山县", "500238 巫溪县",
	"500240 石柱土家族自治县", "500241 秀山土家族苗族自治县", "500242 酉阳土家族苗族自治县",
	"500243 彭水苗族土家族自治县",
}

func TestCountsAndShares(t *testing.T) {
	res := sample(t)
	var got []string
	for _, f := range layer(t, res, admission.LayerDistricts).Features {
		got = append(got, f.ID+" "+f.Name)
	}
	require.Equal(t, wantDistricts, got)

	units := layer(t, res, admission.LayerControlUnits)
	scale := float64(testScale())
	require.InDelta(t, 785*scale, len(units.Features), 785*scale*0.03)
	count := map[string]int{}
	area := map[string]float64{}
	total := 0.0
	for _, f := range units.Features {
		a := geodesicArea(f.Geometry)
		count[f.Category]++
		area[f.Category] += a
		total += a
	}
	for cat, want := range map[string][2]float64{
		admission.CategoryPriority: {479, 0.374},
		admission.CategoryKey:      {188, 0.182},
		admission.CategoryGeneral:  {118, 0.444},
	} {
		require.InDeltaf(t, want[0]*scale, count[cat], want[0]*scale*0.05, "%s count", cat)
		require.InDeltaf(t, want[1], area[cat]/total, 0.02, "%s area share", cat)
		t.Logf("%s: %d units, %.0f km² (%.1f %%)", cat, count[cat], area[cat]/1e6, 100*area[cat]/total)
	}

	red := 0.0
	for _, f := range layer(t, res, admission.LayerEcoRedline).Features {
		red += geodesicArea(f.Geometry)
	}
	t.Logf("red line %.0f km² (%.1f %%)", red/1e6, 100*red/total)
	require.Greater(t, red, 1.7e10)
	require.Less(t, red, 2.1e10)

	require.GreaterOrEqual(t, len(layer(t, res, admission.LayerNatureReserves).Features), 20)
	require.GreaterOrEqual(t, len(layer(t, res, admission.LayerWaterSources).Features), 3*25)
	require.GreaterOrEqual(t, len(layer(t, res, admission.LayerRivers).Features), 3)

	vertices := 0
	for _, l := range res.Layers {
		n := 0
		for _, f := range l.Features {
			n += countVertices(f.Geometry)
		}
		t.Logf("%-16s %5d features %7d vertices", l.ID, len(l.Features), n)
		vertices += n
	}
	// A scaled copy refines the lattice by √scale and multiplies the units
	// by scale, which gives about 7× the vertices at scale 10.
	minVertices := 300000.0
	if scale > 1 {
		minVertices *= 0.6 * scale
	}
	require.GreaterOrEqual(t, float64(vertices), minVertices)
}

func TestPartition(t *testing.T) {
	res := sample(t)
	districts := layer(t, res, admission.LayerDistricts)
	units := layer(t, res, admission.LayerControlUnits)
	sumD, sumU := 0.0, 0.0
	byCode := map[string]admission.Feature{}
	for _, f := range districts.Features {
		sumD += geodesicArea(f.Geometry)
		byCode[f.ID] = f
		seat := f.Properties["seat"].([]float64)
		require.Truef(t, contains(f.Geometry, orb.Point{seat[0], seat[1]}), "seat of %s outside it", f.Name)
	}
	for _, f := range units.Features {
		sumU += geodesicArea(f.Geometry)
		code := f.Properties["county_code"].(string)
		d, ok := byCode[code]
		require.Truef(t, ok, "unit %s: unknown county %s", f.ID, code)
		require.Equal(t, d.Name, f.Properties["county_name"])
		p := pointOnSurface(t, f.Geometry)
		require.Truef(t, contains(d.Geometry, p), "unit %s: point on surface %v not in %s", f.ID, p, d.Name)
	}
	terr := geodesicArea(res.Territory)
	require.InDelta(t, 1, sumU/terr, 1e-4)
	require.InDelta(t, 1, sumD/terr, 1e-4)
	require.InDelta(t, 82400e6, geodesicArea(orb.Polygon{res.Outline}), 82400e6*0.01)
	require.InDelta(t, 82400e6, terr, 82400e6*0.01)
	t.Logf("outline %.0f km², territory %.0f km², districts %.0f km², units %.0f km²",
		geodesicArea(orb.Polygon{res.Outline})/1e6, terr/1e6, sumD/1e6, sumU/1e6)
}

var idPatterns = map[string]*regexp.Regexp{
	admission.LayerDistricts:      regexp.MustCompile(`^50\d{4}$`),
	admission.LayerControlUnits:   regexp.MustCompile(`^ZH50\d{4}[123]\d{4}$`),
	admission.LayerEcoRedline:     regexp.MustCompile(`^HX500000-\d{4}$`),
	admission.LayerNatureReserves: regexp.MustCompile(`^ZRBHD-\d{4}$`),
	admission.LayerWaterSources:   regexp.MustCompile(`^SYD-50\d{4}-\d{2}-[123]$`),
	admission.LayerRivers:         regexp.MustCompile(`^HL-[A-Z]+$`),
}

func TestCodesAndProperties(t *testing.T) {
	res := sample(t)
	for _, l := range res.Layers {
		seen := map[string]bool{}
		for _, f := range l.Features {
			require.Regexpf(t, idPatterns[l.ID], f.ID, "layer %s", l.ID)
			require.Falsef(t, seen[f.ID], "duplicate id %s in %s", f.ID, l.ID)
			seen[f.ID] = true
			require.NotEmpty(t, f.Name)
			require.NotEmpty(t, f.Category)
		}
	}
	digits := map[string]byte{admission.CategoryPriority: '1', admission.CategoryKey: '2', admission.CategoryGeneral: '3'}
	parks := 0
	for _, f := range layer(t, res, admission.LayerControlUnits).Features {
		require.Equal(t, "ZH"+f.Properties["county_code"].(string), f.ID[:8])
		require.Equal(t, digits[f.Category], f.ID[8], f.ID)
		_, ok := f.Properties["clauses"]
		require.False(t, ok, "unit clauses live in the rules file only")
		if name, ok := f.Properties["park_name"]; ok {
			parks++
			require.Equal(t, admission.CategoryKey, f.Category)
			require.NotEmpty(t, name)
			require.NotEmpty(t, f.Properties["leading_industries"].([]string))
		}
	}
	require.GreaterOrEqual(t, parks, 30)
	levels := map[string]int{"一级保护区": 1, "二级保护区": 2, "准保护区": 3}
	for _, f := range layer(t, res, admission.LayerWaterSources).Features {
		require.Equal(t, levels[f.Category], f.Properties["level"], f.ID)
		require.Equal(t, fmt.Sprint(levels[f.Category]), f.ID[len(f.ID)-1:])
		require.NotEmpty(t, f.Properties["river"])
	}
}

// TestGeometry validates every polygon with simplefeatures and checks ring
// orientation (RFC 7946), closure, rounding and water-zone nesting.
func TestGeometry(t *testing.T) {
	res := sample(t)
	for _, l := range res.Layers {
		for _, f := range l.Features {
			var polys []orb.Polygon
			switch g := f.Geometry.(type) {
			case orb.Polygon:
				polys = []orb.Polygon{g}
			case orb.MultiPolygon:
				polys = g
			case orb.LineString:
				require.Equal(t, admission.KindLine, l.Kind)
				require.GreaterOrEqual(t, len(g), 100, f.ID)
				checkRounded(t, f.ID, g)
				continue
			default:
				t.Fatalf("%s: unexpected geometry %T", f.ID, g)
			}
			require.Equal(t, admission.KindPolygon, l.Kind)
			sfPolys := make([]geom.Polygon, len(polys))
			for i, p := range polys {
				rings := make([]geom.LineString, len(p))
				for j, r := range p {
					require.GreaterOrEqualf(t, len(r), 4, "%s ring", f.ID)
					require.Equalf(t, r[0], r[len(r)-1], "%s ring not closed", f.ID)
					a := planar.Area(r) * float64(r.Orientation())
					if j == 0 {
						require.Equalf(t, orb.CCW, r.Orientation(), "%s outer ring must be counter-clockwise", f.ID)
					} else {
						require.Equalf(t, orb.CW, r.Orientation(), "%s hole must be clockwise", f.ID)
					}
					require.NotZero(t, a)
					checkRounded(t, f.ID, orb.LineString(r))
					coords := make([]float64, 0, 2*len(r))
					for _, pt := range r {
						coords = append(coords, pt[0], pt[1])
					}
					rings[j] = geom.NewLineString(geom.NewSequence(coords, geom.DimXY))
				}
				sfPolys[i] = geom.NewPolygon(rings)
				require.NoErrorf(t, sfPolys[i].Validate(), "%s/%s polygon %d", l.ID, f.ID, i)
			}
			if len(sfPolys) > 1 {
				require.NoErrorf(t, geom.NewMultiPolygon(sfPolys).Validate(), "%s/%s", l.ID, f.ID)
			}
		}
	}
	// Each water-source zone's hole is exactly the previous zone's shell.
	ws := layer(t, res, admission.LayerWaterSources).Features
	for i := 0; i+2 < len(ws); i += 3 {
		p1, p2, p3 := ws[i].Geometry.(orb.Polygon), ws[i+1].Geometry.(orb.Polygon), ws[i+2].Geometry.(orb.Polygon)
		require.Len(t, p1, 1)
		require.Len(t, p2, 2)
		require.Len(t, p3, 2)
		require.Equal(t, reversed(p1[0]), p2[1], ws[i+1].ID)
		require.Equal(t, reversed(p2[0]), p3[1], ws[i+2].ID)
	}
}

func reversed(r orb.Ring) orb.Ring {
	c := slices.Clone(r)
	slices.Reverse(c)
	return c
}

func checkRounded(t *testing.T, id string, ls orb.LineString) {
	t.Helper()
	for _, p := range ls {
		for _, v := range p {
			require.Equalf(t, math.Round(v*1e6)/1e6, v, "%s: coordinate %v not rounded to 6 decimals", id, v)
		}
	}
}

// TestSharedEdges checks that the districts' edges are the units' edges:
// every district boundary segment is also a unit boundary segment.
func TestSharedEdges(t *testing.T) {
	res := sample(t)
	type seg struct{ a, b orb.Point }
	unitSegs := map[seg]bool{}
	for _, f := range layer(t, res, admission.LayerControlUnits).Features {
		eachRing(f.Geometry, func(r orb.Ring) {
			for i := 0; i+1 < len(r); i++ {
				unitSegs[seg{r[i], r[i+1]}] = true
			}
		})
	}
	n := 0
	for _, f := range layer(t, res, admission.LayerDistricts).Features {
		eachRing(f.Geometry, func(r orb.Ring) {
			for i := 0; i+1 < len(r); i++ {
				require.Truef(t, unitSegs[seg{r[i], r[i+1]}], "district %s edge %v-%v is not a unit edge", f.ID, r[i], r[i+1])
				n++
			}
		})
	}
	require.Greater(t, n, 10000)
}

func eachRing(g orb.Geometry, fn func(orb.Ring)) {
	switch v := g.(type) {
	case orb.Polygon:
		for _, r := range v {
			fn(r)
		}
	case orb.MultiPolygon:
		for _, p := range v {
			for _, r := range p {
				fn(r)
			}
		}
	}
}

func countVertices(g orb.Geometry) int {
	switch v := g.(type) {
	case orb.LineString:
		return len(v)
	}
	n := 0
	eachRing(g, func(r orb.Ring) { n += len(r) })
	return n
}

// geodesicArea is the WGS84 (≈ CGCS2000) area in m²; holes count negative.
func geodesicArea(g orb.Geometry) float64 {
	total := 0.0
	eachRing(g, func(r orb.Ring) {
		p := geodesic.WGS84.PolygonInit(false)
		for _, pt := range r[:len(r)-1] {
			p.AddPoint(pt[1], pt[0])
		}
		var a float64
		p.Compute(false, true, &a, nil)
		total += a
	})
	return total
}

func contains(g orb.Geometry, p orb.Point) bool {
	switch v := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(v, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(v, p)
	}
	return false
}

func pointOnSurface(t *testing.T, g orb.Geometry) orb.Point {
	t.Helper()
	toSF := func(p orb.Polygon) geom.Polygon {
		rings := make([]geom.LineString, len(p))
		for j, r := range p {
			coords := make([]float64, 0, 2*len(r))
			for _, pt := range r {
				coords = append(coords, pt[0], pt[1])
			}
			rings[j] = geom.NewLineString(geom.NewSequence(coords, geom.DimXY))
		}
		return geom.NewPolygon(rings)
	}
	var pt geom.Point
	switch v := g.(type) {
	case orb.Polygon:
		pt = toSF(v).PointOnSurface()
	case orb.MultiPolygon:
		ps := make([]geom.Polygon, len(v))
		for i, p := range v {
			ps[i] = toSF(p)
		}
		pt = geom.NewMultiPolygon(ps).PointOnSurface()
	}
	xy, ok := pt.XY()
	require.True(t, ok)
	return orb.Point{xy.X, xy.Y}
}
