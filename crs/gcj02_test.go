package crs

import (
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Known answers of the forward formulas, as published by two independent
// implementations of the same public algorithm:
//
//   - github.com/googollee/eviltransform, go/transform_test.go (the same
//     vectors are in its Python, Ruby, C# and MATLAB ports): WGS84 → GCJ-02
//     for Shanghai, Shenzhen and Beijing;
//   - github.com/wandergis/coordtransform, README.md:
//     wgs84togcj02(116.404, 39.915) and gcj02tobd09(116.404, 39.915).
func TestForwardKnownAnswers(t *testing.T) {
	tests := []struct {
		name string
		crs  CRS
		in   orb.Point // CGCS2000 = WGS84
		want orb.Point
	}{
		{"eviltransform Shanghai", GCJ02, orb.Point{121.5272106, 31.1774276}, orb.Point{121.531541859215, 31.17530398364597}},
		{"eviltransform Shenzhen", GCJ02, orb.Point{113.912316, 22.543847}, orb.Point{113.9171764808363, 22.540796131694766}},
		{"eviltransform Beijing", GCJ02, orb.Point{116.377817, 39.911954}, orb.Point{116.38404722455657, 39.91334545536069}},
		{"coordtransform wgs84togcj02", GCJ02, orb.Point{116.404, 39.915}, orb.Point{116.41024449916938, 39.91640428150164}},
		// wgs84_to_bd09 = gcj02tobd09(wgs84togcj02(p)); a Python port of
		// coordtransform prints it.
		{"coordtransform wgs84 to bd09", BD09, orb.Point{116.404, 39.915}, orb.Point{116.41662724378733, 39.922699552216216}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.crs.FromCGCS2000(tt.in)
			require.NoError(t, err)
			assert.InDelta(t, tt.want[0], got[0], 1e-12, "longitude")
			assert.InDelta(t, tt.want[1], got[1], 1e-12, "latitude")
			back, err := tt.crs.ToCGCS2000(got)
			require.NoError(t, err)
			assert.InDelta(t, tt.in[0], back[0], 1e-10)
			assert.InDelta(t, tt.in[1], back[1], 1e-10)
		})
	}
	t.Run("coordtransform gcj02tobd09", func(t *testing.T) {
		lon, lat := gcjToBD(116.404, 39.915)
		assert.InDelta(t, 116.41036949371029, lon, 1e-12)
		assert.InDelta(t, 39.92133699351021, lat, 1e-12)
	})
	// coordtransform's inverses are approximations: bd09togcj02 uses the
	// closed form this package only starts from, gcj02towgs84 one step of
	// the iteration. Ours must be close to theirs and exact in the sense
	// that the forward formula gives the input back.
	t.Run("coordtransform bd09togcj02 (approximate)", func(t *testing.T) {
		lon, lat, ok := bdToGCJ(116.404, 39.915)
		require.True(t, ok)
		assert.InDelta(t, 116.39762729119315, lon, 2e-6)
		assert.InDelta(t, 39.90865673957631, lat, 2e-6)
		flon, flat := gcjToBD(lon, lat)
		assert.InDelta(t, 116.404, flon, 1e-11)
		assert.InDelta(t, 39.915, flat, 1e-11)
		t.Logf("exact inverse differs from coordtransform's bd09togcj02 by (%.3g°, %.3g°)", lon-116.39762729119315, lat-39.90865673957631)
	})
	t.Run("coordtransform gcj02towgs84 (approximate)", func(t *testing.T) {
		p, err := GCJ02.ToCGCS2000(orb.Point{116.404, 39.915})
		require.NoError(t, err)
		assert.InDelta(t, 116.39775550083061, p[0], 2e-5)
		assert.InDelta(t, 39.91359571849836, p[1], 2e-5)
		t.Logf("exact inverse differs from coordtransform's gcj02towgs84 by %.3g m", degToMetres(orb.Point{p[0] - 116.39775550083061, p[1] - 39.91359571849836}, 39.9))
	})
}

// TestOffsetInverseAccuracy: over a grid covering China (73°E–135°E,
// 18°N–54°N), ToCGCS2000(FromCGCS2000(p)) returns p and
// FromCGCS2000(ToCGCS2000(q)) returns q, both within 1e-9° (0.1 mm; the
// requirement is 0.5 m and 1 cm).
func TestOffsetInverseAccuracy(t *testing.T) {
	for _, c := range []CRS{GCJ02, BD09} {
		t.Run(c.Name, func(t *testing.T) {
			worstP, worstQ, n := 0.0, 0.0, 0
			for lon := 73.0; lon <= 135; lon += 0.37 {
				for lat := 18.0; lat <= 54; lat += 0.29 {
					p := orb.Point{lon, lat}
					q, err := c.FromCGCS2000(p)
					require.NoError(t, err)
					require.Greater(t, degToMetres(orb.Point{q[0] - p[0], q[1] - p[1]}, lat), 1.0, "%v is offset", p)
					back, err := c.ToCGCS2000(q)
					require.NoError(t, err, "%v", q)
					d := math.Max(math.Abs(back[0]-p[0]), math.Abs(back[1]-p[1]))
					assert.LessOrEqual(t, d, 1e-9, "%s: ToCGCS2000(FromCGCS2000(%v)) = %v", c.Name, p, back)
					worstP = math.Max(worstP, d)

					// The grid point itself read as a GCJ-02/BD-09 position.
					w, err := c.ToCGCS2000(p)
					require.NoError(t, err, "%v", p)
					fw, err := c.FromCGCS2000(w)
					require.NoError(t, err)
					d = math.Max(math.Abs(fw[0]-p[0]), math.Abs(fw[1]-p[1]))
					assert.LessOrEqual(t, d, 1e-9, "%s: FromCGCS2000(ToCGCS2000(%v)) = %v", c.Name, p, fw)
					worstQ = math.Max(worstQ, d)
					n++
				}
			}
			t.Logf("%s over %d points: inverse(forward(p)) within %.3g°, forward(inverse(q)) within %.3g°", c.Name, n, worstP, worstQ)
		})
	}
}

// TestBD09ApproximateInverse measures the public closed-form BD-09 →
// GCJ-02 inverse that bdToGCJ refines; it is off by up to 0.2 m, which
// the iteration removes.
func TestBD09ApproximateInverse(t *testing.T) {
	worst := 0.0
	for lon := 73.0; lon <= 135; lon += 0.5 {
		for lat := 18.0; lat <= 54; lat += 0.5 {
			blon, blat := gcjToBD(lon, lat)
			x, y := blon-0.0065, blat-0.006
			z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdXPi)
			theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
			worst = math.Max(worst, degToMetres(orb.Point{z*math.Cos(theta) - lon, z*math.Sin(theta) - lat}, lat))
		}
	}
	assert.Less(t, worst, 1.0)
	t.Logf("closed-form BD-09 inverse is off by up to %.3g m", worst)
}

// TestOutsideChina: outside the rectangle 72.004°E–137.8347°E,
// 0.8293°N–55.8271°N GCJ-02 equals CGCS2000 (WGS84), both ways; BD-09
// keeps its own shift everywhere.
func TestOutsideChina(t *testing.T) {
	tests := []struct {
		name string
		p    orb.Point
	}{
		{"Denver (eviltransform's edge case)", orb.Point{-104.9903, 39.7392}},
		{"Tokyo", orb.Point{139.6917, 35.6895}},
		{"Jakarta", orb.Point{106.8456, -6.2088}},
		{"Moscow", orb.Point{37.6173, 55.7558}},
		{"just west of the rectangle", orb.Point{72.0039, 40}},
		{"just north of the rectangle", orb.Point{120, 55.8272}},
		{"the south pole", orb.Point{0, -90}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := GCJ02.FromCGCS2000(tt.p)
			require.NoError(t, err)
			assert.Equal(t, tt.p, q)
			w, err := GCJ02.ToCGCS2000(tt.p)
			require.NoError(t, err)
			assert.Equal(t, tt.p, w)

			b, err := BD09.FromCGCS2000(tt.p)
			require.NoError(t, err)
			if tt.p[1] > -89 {
				assert.NotEqual(t, tt.p, b, "BD-09 is shifted outside China too")
				back, err := BD09.ToCGCS2000(b)
				require.NoError(t, err)
				assert.InDelta(t, tt.p[0], back[0], 1e-9)
				assert.InDelta(t, tt.p[1], back[1], 1e-9)
			}
		})
	}
	// Inside the rectangle, though not China: the public algorithm
	// offsets it all the same.
	q, err := GCJ02.FromCGCS2000(orb.Point{106.9057, 47.8864}) // Ulaanbaatar
	require.NoError(t, err)
	assert.NotEqual(t, orb.Point{106.9057, 47.8864}, q)
}

// TestOffsetEdges: positions no CGCS2000 point maps to (just inside the
// rectangle's edge, where the offset would carry the point out of it)
// return an error, not NaN and not a wrong point.
func TestOffsetEdges(t *testing.T) {
	found := false
	for lon := 72.004; lon < 72.02; lon += 0.0005 {
		for _, lat := range []float64{30, 40, 50} {
			p, err := GCJ02.ToCGCS2000(orb.Point{lon, lat})
			if err != nil {
				var pe *PointError
				require.ErrorAs(t, err, &pe)
				assert.Equal(t, CodeNoInverse, pe.Code)
				found = true
				continue
			}
			require.True(t, finite(p))
			f, _ := GCJ02.FromCGCS2000(p)
			assert.InDelta(t, lon, f[0], 1e-9)
			assert.InDelta(t, lat, f[1], 1e-9)
		}
	}
	assert.True(t, found, "some GCJ-02 positions at the west edge have no inverse")
}

func TestOffsetInputErrors(t *testing.T) {
	tests := []struct {
		name string
		crs  CRS
		p    orb.Point
		code string
	}{
		{"GCJ-02 NaN", GCJ02, orb.Point{math.NaN(), 30}, CodeNotFinite},
		{"GCJ-02 latitude 95", GCJ02, orb.Point{106, 95}, CodeOutOfRange},
		{"BD-09 infinite", BD09, orb.Point{106, math.Inf(-1)}, CodeNotFinite},
		{"BD-09 longitude 181", BD09, orb.Point{181, 30}, CodeOutOfRange},
		{"BD-09 latitude swapped in", BD09, orb.Point{29.5, 106.5}, CodeOutOfRange},
		{"WGS84 latitude -91", WGS84, orb.Point{0, -91}, CodeOutOfRange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.crs.ToCGCS2000(tt.p)
			var pe *PointError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.code, pe.Code)
			_, err = tt.crs.FromCGCS2000(tt.p)
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.code, pe.Code)
		})
	}
}
