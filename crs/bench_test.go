package crs

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
)

// benchPoints are n fixed-seed positions around Chongqing, in CGCS2000
// and converted to c.
func benchPoints(b *testing.B, c CRS, n int) []orb.Point {
	b.Helper()
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([]orb.Point, n)
	for i := range pts {
		p, err := c.FromCGCS2000(orb.Point{106.5 + 3*r.Float64(), 28 + 4*r.Float64()})
		if err != nil {
			b.Fatal(err)
		}
		pts[i] = p
	}
	return pts
}

func benchmarkTo(b *testing.B, c CRS) {
	pts := benchPoints(b, c, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := c.ToCGCS2000(pts[i&1023]); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkFrom(b *testing.B, c CRS) {
	pts := benchPoints(b, CGCS2000, 1024)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := c.FromCGCS2000(pts[i&1023]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToCGCS2000GaussKruger(b *testing.B)   { benchmarkTo(b, c4545()) }
func BenchmarkFromCGCS2000GaussKruger(b *testing.B) { benchmarkFrom(b, c4545()) }
func BenchmarkToCGCS2000GCJ02(b *testing.B)         { benchmarkTo(b, GCJ02) }
func BenchmarkFromCGCS2000GCJ02(b *testing.B)       { benchmarkFrom(b, GCJ02) }
func BenchmarkToCGCS2000BD09(b *testing.B)          { benchmarkTo(b, BD09) }
func BenchmarkToCGCS2000Identity(b *testing.B)      { benchmarkTo(b, CGCS2000) }

// BenchmarkGeometryGaussKruger converts a 1000-vertex ring.
func BenchmarkGeometryGaussKruger(b *testing.B) {
	c := c4545()
	ring := orb.Ring(benchPoints(b, c, 1000))
	ring = append(ring, ring[0])
	g := orb.Polygon{ring}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := c.Geometry(g); err != nil {
			b.Fatal(err)
		}
	}
}

// kruegerNaive sums ζ + Σⱼ c[j]·sin 2jζ term by term: the baseline for
// krueger's Clenshaw summation (TestKruegerClenshaw checks they agree).
func kruegerNaive(c *[7]float64, xi, eta float64) (float64, float64) {
	x, y := xi, eta
	for j := 1; j <= 6; j++ {
		s, co := math.Sincos(2 * float64(j) * xi)
		x += c[j] * s * math.Cosh(2*float64(j)*eta)
		y += c[j] * co * math.Sinh(2*float64(j)*eta)
	}
	return x, y
}

func BenchmarkKrueger(b *testing.B) {
	for b.Loop() {
		krueger(&cgcsTM.alpha, 0.52, 0.026)
	}
}

func BenchmarkKruegerNaive(b *testing.B) {
	for b.Loop() {
		kruegerNaive(&cgcsTM.alpha, 0.52, 0.026)
	}
}
