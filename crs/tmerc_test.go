package crs

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// projRow is one row of testdata/gk_proj.csv or gk_proj_inverse.csv.
type projRow struct {
	crs      CRS
	lonLat   orb.Point
	eastNort orb.Point
}

// readProjCSV reads a PROJ fixture; lonLatFirst says whether lon,lat come
// before x,y.
func readProjCSV(t testing.TB, name string, lonLatFirst bool) []projRow {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	require.NoError(t, err)
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	recs, err := r.ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(recs), 1)
	var rows []projRow
	for _, rec := range recs[1:] {
		var v [5]float64
		for i, s := range rec {
			v[i], err = strconv.ParseFloat(s, 64)
			require.NoError(t, err)
		}
		c, ok := byEPSG(int(v[0]))
		require.True(t, ok, "EPSG:%v", v[0])
		row := projRow{crs: c, lonLat: orb.Point{v[1], v[2]}, eastNort: orb.Point{v[3], v[4]}}
		if !lonLatFirst {
			row.lonLat, row.eastNort = row.eastNort, row.lonLat
		}
		rows = append(rows, row)
	}
	return rows
}

// degToMetres converts a difference in degrees at a latitude to metres,
// roughly (spherical, R = 6371 km), for reporting.
func degToMetres(d orb.Point, lat float64) float64 {
	const m = 6371000 * math.Pi / 180
	return math.Hypot(d[0]*m*math.Cos(lat/deg), d[1]*m)
}

// TestGaussKrugerAgainstPROJ compares the Krüger series with PROJ 9.1's
// tmerc over the fixtures: 18 zones, latitudes 18°–54°, across the zone
// and beyond (±2° for 3° zones, ±3.5° for 6°). Forward must agree within
// 1 mm and inverse within 1e-8° (about 1 mm); the largest differences are
// logged (go test -v).
func TestGaussKrugerAgainstPROJ(t *testing.T) {
	t.Run("forward", func(t *testing.T) {
		rows := readProjCSV(t, "gk_proj.csv", true)
		require.Len(t, rows, 2260)
		worst, where := 0.0, ""
		for _, r := range rows {
			got, err := r.crs.FromCGCS2000(r.lonLat)
			require.NoError(t, err, "%s %v", r.crs.Name, r.lonLat)
			d := math.Hypot(got[0]-r.eastNort[0], got[1]-r.eastNort[1])
			if !assert.LessOrEqual(t, d, 0.001, "%s FromCGCS2000(%v) = %v, PROJ %v", r.crs.Name, r.lonLat, got, r.eastNort) {
				continue
			}
			if d > worst {
				worst, where = d, fmt.Sprintf("%s lon %v lat %v (%.4f° from CM)", r.crs.Name, r.lonLat[0], r.lonLat[1], r.lonLat[0]-r.crs.CentralMeridian)
			}
		}
		t.Logf("forward: %d points, largest difference from PROJ %.3g mm at %s", len(rows), worst*1000, where)
	})
	t.Run("inverse", func(t *testing.T) {
		rows := readProjCSV(t, "gk_proj_inverse.csv", false)
		require.Len(t, rows, 1854)
		worst, worstM, where := 0.0, 0.0, ""
		for _, r := range rows {
			got, err := r.crs.ToCGCS2000(r.eastNort)
			require.NoError(t, err, "%s %v", r.crs.Name, r.eastNort)
			d := math.Max(math.Abs(got[0]-r.lonLat[0]), math.Abs(got[1]-r.lonLat[1]))
			if !assert.LessOrEqual(t, d, 1e-8, "%s ToCGCS2000(%v) = %v, PROJ %v", r.crs.Name, r.eastNort, got, r.lonLat) {
				continue
			}
			if m := degToMetres(orb.Point{got[0] - r.lonLat[0], got[1] - r.lonLat[1]}, r.lonLat[1]); m > worstM {
				worstM = m
			}
			if d > worst {
				worst, where = d, fmt.Sprintf("%s x %v y %v (lon %v lat %v)", r.crs.Name, r.eastNort[0], r.eastNort[1], r.lonLat[0], r.lonLat[1])
			}
		}
		t.Logf("inverse: %d points, largest difference from PROJ %.3g° at %s; largest in metres %.3g mm", len(rows), worst, where, worstM*1000)
	})
}

// TestGaussKrugerRoundTrip: inverse(forward(p)) returns p within 1e-9°
// and forward(inverse(q)) returns q within 1e-8 m (a few units in the
// last place of a northing), over both fixtures.
func TestGaussKrugerRoundTrip(t *testing.T) {
	worstDeg, worstM := 0.0, 0.0
	for _, r := range readProjCSV(t, "gk_proj.csv", true) {
		xy, err := r.crs.FromCGCS2000(r.lonLat)
		require.NoError(t, err)
		back, err := r.crs.ToCGCS2000(xy)
		require.NoError(t, err)
		d := math.Max(math.Abs(back[0]-r.lonLat[0]), math.Abs(back[1]-r.lonLat[1]))
		assert.LessOrEqual(t, d, 1e-9, "%s round trip of %v gave %v", r.crs.Name, r.lonLat, back)
		worstDeg = math.Max(worstDeg, d)
	}
	for _, r := range readProjCSV(t, "gk_proj_inverse.csv", false) {
		ll, err := r.crs.ToCGCS2000(r.eastNort)
		require.NoError(t, err)
		back, err := r.crs.FromCGCS2000(ll)
		require.NoError(t, err)
		d := math.Hypot(back[0]-r.eastNort[0], back[1]-r.eastNort[1])
		assert.LessOrEqual(t, d, 1e-8, "%s round trip of %v gave %v", r.crs.Name, r.eastNort, back)
		worstM = math.Max(worstM, d)
	}
	t.Logf("round trips: lon/lat → x/y → lon/lat within %.3g°, x/y → lon/lat → x/y within %.3g m", worstDeg, worstM)
}

// TestEPSGTableMatchesPROJ checks the table byEPSG derives against what
// projinfo says about every code (testdata/epsg_proj.txt): central
// meridian, false easting, scale 1, origin on the equator, the GRS80
// ellipsoid (= CGCS2000's), and that both the ESRI and the EPSG names
// parse back to the code.
func TestEPSGTableMatchesPROJ(t *testing.T) {
	f, err := os.Open("testdata/epsg_proj.txt")
	require.NoError(t, err)
	defer f.Close()
	param := regexp.MustCompile(`\+(\w+)=(\S+)`)
	seen := map[int]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		require.Len(t, cols, 4)
		code, err := strconv.Atoi(cols[0])
		require.NoError(t, err)
		seen[code] = true
		t.Run(cols[0], func(t *testing.T) {
			c, ok := byEPSG(code)
			require.True(t, ok)
			for _, name := range cols[2:] {
				got, err := Parse(name)
				if assert.NoError(t, err, "Parse(%q)", name) {
					assert.Equal(t, c, got, "Parse(%q)", name)
				}
			}
			p := map[string]string{}
			for _, m := range param.FindAllStringSubmatch(cols[1], -1) {
				p[m[1]] = m[2]
			}
			if code == 4490 || code == 4326 {
				assert.Equal(t, "longlat", p["proj"])
				assert.Equal(t, KindGeographic, c.Kind)
				return
			}
			assert.Equal(t, KindGaussKruger, c.Kind)
			assert.Equal(t, map[string]string{
				"proj": "tmerc", "lat_0": "0", "lon_0": num(c.CentralMeridian), "k": "1",
				"x_0": num(c.FalseEasting), "y_0": "0", "ellps": "GRS80", "units": "m", "type": "crs",
			}, p)
			width, zone := 3, int(c.CentralMeridian)/3
			if strings.Contains(cols[3], "3-degree") != (c.ZoneWidth == 3) {
				t.Errorf("EPSG name %q, ZoneWidth %d", cols[3], c.ZoneWidth)
			}
			if c.ZoneWidth == 6 {
				width, zone = 6, (int(c.CentralMeridian)+3)/6
			}
			assert.Equal(t, zone, c.Zone)
			assert.Equal(t, width, c.ZoneWidth)
			assert.Equal(t, strings.Contains(cols[3], "zone"), c.ZoneInEasting)
		})
	}
	require.NoError(t, sc.Err())
	for code := firstGK6Zone; code <= lastGK; code++ {
		assert.True(t, seen[code], "EPSG:%d missing from testdata/epsg_proj.txt", code)
	}
	for _, code := range []int{0, 4489, 4555, 4326 + 1, -4545} {
		_, ok := byEPSG(code)
		assert.False(t, ok, "EPSG:%d", code)
	}
}

// TestTauDerivative checks the derivative Newton's method uses in tau
// against a central difference, and that tau inverts taup.
func TestTauDerivative(t *testing.T) {
	s := cgcsTM
	for _, phi := range []float64{-89, -60, -30, -1, 0, 0.5, 18, 29.5, 45, 54, 80, 89.9} {
		tau := math.Tan(phi / deg)
		h := 1e-6 * math.Max(1, math.Abs(tau))
		num := (s.taup(tau+h) - s.taup(tau-h)) / (2 * h)
		tp := s.taup(tau)
		formula := s.e2m * math.Hypot(1, tp) * math.Hypot(1, tau) / (1 + s.e2m*tau*tau)
		assert.InEpsilon(t, num, formula, 1e-8, "φ = %v°", phi)
		assert.InDelta(t, tau, s.tau(tp), 1e-14*math.Max(1, math.Abs(tau)), "φ = %v°", phi)
	}
}

// TestAxisOrder states the convention: x is the easting and y the
// northing, although the EPSG database lists EPSG:4545's axes
// northing-first (and Chinese surveying calls the northing X). A point in
// Chongqing has an easting of a few hundred thousand metres and a
// northing of over three million.
//
//	y = northing (测量 X) ≈ 3 265 627 m
//	^
//	|  • (106.5°E, 29.5°N)
//	+------> x = easting (测量 Y) ≈ 354 542 m, 500 000 on 108°E
func TestAxisOrder(t *testing.T) {
	c, err := Parse("EPSG:4545")
	require.NoError(t, err)
	p, err := c.FromCGCS2000(orb.Point{106.5, 29.5})
	require.NoError(t, err)
	// cs2cs EPSG:4490 EPSG:4545 <<< "29.5 106.5" prints 3265627.007045944 354541.950289776
	assert.InDelta(t, 354541.950289776, p[0], 1e-6, "x is the easting")
	assert.InDelta(t, 3265627.007045944, p[1], 1e-6, "y is the northing")
	back, err := c.ToCGCS2000(p)
	require.NoError(t, err)
	assert.InDelta(t, 106.5, back[0], 1e-12, "x is the longitude")
	assert.InDelta(t, 29.5, back[1], 1e-12, "y is the latitude")

	// Northing first, as a surveyor would write it, is refused with a hint.
	_, err = c.ToCGCS2000(orb.Point{3265627.007, 354541.950})
	var pe *PointError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, CodeOutOfZone, pe.Code)
	assert.Contains(t, pe.Message, "x、y 似乎颠倒了")

	// Geographic CRSs are longitude first too, though EPSG:4490 is
	// latitude-first in the EPSG database.
	p, err = CGCS2000.ToCGCS2000(orb.Point{106.5, 29.5})
	require.NoError(t, err)
	assert.Equal(t, orb.Point{106.5, 29.5}, p)
}

func TestGaussKrugerErrors(t *testing.T) {
	c4545, _ := byEPSG(4545)
	c4524, _ := byEPSG(4524)
	c4507, _ := byEPSG(4507)
	tests := []struct {
		name     string
		crs      CRS
		inverse  bool // ToCGCS2000, else FromCGCS2000
		p        orb.Point
		code     string
		contains string
	}{
		{"NaN easting", c4545, true, orb.Point{math.NaN(), 3e6}, CodeNotFinite, "不是有限数值"},
		{"infinite northing", c4545, true, orb.Point{5e5, math.Inf(1)}, CodeNotFinite, "不是有限数值"},
		{"huge easting", c4545, true, orb.Point{1e300, 3e6}, CodeOutOfZone, "不在 EPSG:4545 的范围内"},
		{"beyond the pole", c4545, true, orb.Point{5e5, 1.1e7}, CodeOutOfZone, "不在 EPSG:4545 的范围内"},
		{"zone number given to a CRS without", c4545, true, orb.Point{36354541.95, 3265627.0}, CodeOutOfZone, "东坐标以带号 36 开头，应选择 EPSG:4524"},
		{"6° zone number given to a 3° CRS", c4545, true, orb.Point{18354541.95, 3265627.0}, CodeOutOfZone, "东坐标以带号 18 开头，应选择 EPSG:4496"},
		{"zone number missing", c4524, true, orb.Point{354541.95, 3265627.0}, CodeOutOfZone, "东坐标缺少带号 36；不含带号的坐标应选择 EPSG:4545"},
		{"wrong zone number", c4524, true, orb.Point{35354541.95, 3265627.0}, CodeOutOfZone, "东坐标的带号是 35，应选择 EPSG:4523"},
		{"swapped with zone", c4524, true, orb.Point{3265627.0, 36354541.95}, CodeOutOfZone, "x、y 似乎颠倒了"},
		{"more than 3° from the CM", c4545, true, orb.Point{500000 + 330000, 5e6}, CodeOutOfZone, "超过 3°"},
		{"forward: 3.5° from a 3° zone's CM", c4545, false, orb.Point{111.5, 30}, CodeOutOfZone, "该点应使用 EPSG:4546"},
		{"forward: 6.5° from a 6° zone's CM", c4507, false, orb.Point{98.5, 30}, CodeOutOfZone, "该点应使用 EPSG:4506"},
		{"forward: latitude out of range", c4545, false, orb.Point{108, 91}, CodeOutOfRange, "超出经纬度范围"},
		{"forward: NaN", c4545, false, orb.Point{108, math.NaN()}, CodeNotFinite, "不是有限数值"},
		{"zero CRS", CRS{}, true, orb.Point{1, 2}, CodeInvalidCRS, "未指定坐标系"},
		{"zero CRS forward", CRS{}, false, orb.Point{1, 2}, CodeInvalidCRS, "未指定坐标系"},
		{"Gauss-Krüger without zone width", CRS{Name: "x", Kind: KindGaussKruger, CentralMeridian: 108}, true, orb.Point{5e5, 3e6}, CodeInvalidCRS, "定义无效"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got orb.Point
			var err error
			if tt.inverse {
				got, err = tt.crs.ToCGCS2000(tt.p)
			} else {
				got, err = tt.crs.FromCGCS2000(tt.p)
			}
			var pe *PointError
			require.ErrorAs(t, err, &pe, "got %v, want an error", got)
			assert.Equal(t, tt.code, pe.Code)
			assert.Contains(t, pe.Message, tt.contains)
			assert.Equal(t, orb.Point{}, got)
			assert.True(t, strings.HasPrefix(err.Error(), "crs: "+tt.code))
		})
	}
}

// TestGaussKrugerDomainFinite: every accepted position converts to a
// finite one, up to the zone-width limit and the poles.
func TestGaussKrugerDomainFinite(t *testing.T) {
	for _, code := range []int{4545, 4507} {
		c, _ := byEPSG(code)
		w := float64(c.ZoneWidth)
		for lat := -90.0; lat <= 90; lat += 2.5 {
			for d := -w; d <= w; d += w / 8 {
				p := orb.Point{c.CentralMeridian + d, lat}
				xy, err := c.FromCGCS2000(p)
				require.NoError(t, err, "%v", p)
				require.True(t, finite(xy), "%s FromCGCS2000(%v) = %v", c.Name, p, xy)
				back, err := c.ToCGCS2000(xy)
				if math.Abs(lat) == 90 {
					// At a pole every longitude is the same point.
					if err == nil {
						assert.InDelta(t, lat, back[1], 1e-9)
					}
					continue
				}
				require.NoError(t, err, "%s ToCGCS2000(%v) from %v", c.Name, xy, p)
				assert.InDelta(t, p[0], back[0], 1e-9, "%v", p)
				assert.InDelta(t, p[1], back[1], 1e-9, "%v", p)
			}
		}
		// The inverse accepts any easting within 1000 km and northing to
		// the poles without producing NaN.
		for x := -999000.0; x <= 999000; x += 37000 {
			for y := -1.0002e7; y <= 1.0002e7; y += 370000 {
				ll, err := c.ToCGCS2000(orb.Point{c.FalseEasting + x, y})
				if err != nil {
					var pe *PointError
					require.True(t, errors.As(err, &pe))
					continue
				}
				require.True(t, finite(ll), "%v", ll)
				require.LessOrEqual(t, math.Abs(ll[1]), 90.0)
			}
		}
	}
}

// TestKruegerClenshaw: the Clenshaw sum equals the term-by-term sum.
func TestKruegerClenshaw(t *testing.T) {
	for _, c := range []*[7]float64{&cgcsTM.alpha, &cgcsTM.negBeta} {
		for xi := -1.5; xi <= 1.5; xi += 0.1 {
			for eta := -0.2; eta <= 0.2; eta += 0.01 {
				x, y := krueger(c, xi, eta)
				nx, ny := kruegerNaive(c, xi, eta)
				assert.InDelta(t, nx, x, 1e-15, "ξ %v η %v", xi, eta)
				assert.InDelta(t, ny, y, 1e-15, "ξ %v η %v", xi, eta)
			}
		}
	}
}
