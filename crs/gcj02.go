package crs

import "math"

// GCJ-02 and BD-09 follow the formulas that circulate publicly (e.g.
// github.com/googollee/eviltransform, github.com/wandergis/coordtransform);
// the tests check them against those projects' published values.
//
// GCJ-02 adds to a WGS84 (here: CGCS2000) position an offset of a few
// hundred metres, a polynomial-and-sine function of longitude and latitude
// scaled to degrees on the Krasovsky ellipsoid. It applies "inside China",
// which the public algorithm, and this package, take as the rough
// rectangle 72.004°E–137.8347°E, 0.8293°N–55.8271°N: it includes parts of
// neighbouring countries and misses no part of China's land. Outside it
// GCJ-02 equals WGS84.
//
// BD-09 is GCJ-02 with a further small rotation and scaling about the
// origin and a shift of about (0.0065°, 0.006°); the public formulas
// apply it everywhere, so outside China BD-09 is WGS84 shifted by some
// 700 m.
const (
	gcjA  = 6378245.0              // Krasovsky semi-major axis
	gcjEE = 0.00669342162296594323 // Krasovsky first eccentricity squared
	bdXPi = math.Pi * 3000.0 / 180.0

	gcjMinLon, gcjMaxLon = 72.004, 137.8347
	gcjMinLat, gcjMaxLat = 0.8293, 55.8271

	// Iterations stop when the forward formula reproduces the input to
	// invTol degrees (1e-12° ≈ 0.1 µm, some 70 units in the last place);
	// invMaxIter bounds them.
	invTol     = 1e-12
	invMaxIter = 30
	// invAccept is the residual still accepted after invMaxIter.
	invAccept = 1e-9
)

// inChina is the rough rectangle in which GCJ-02 is offset.
func inChina(lon, lat float64) bool {
	return lon >= gcjMinLon && lon <= gcjMaxLon && lat >= gcjMinLat && lat <= gcjMaxLat
}

// wgsToGCJ is the GCJ-02 forward formula. Longitude and latitude are in
// degrees.
func wgsToGCJ(lon, lat float64) (float64, float64) {
	if !inChina(lon, lat) {
		return lon, lat
	}
	x, y := lon-105, lat-35
	sx6, sx2 := math.Sin(6*x*math.Pi), math.Sin(2*x*math.Pi)
	common := (20*sx6 + 20*sx2) * 2 / 3
	dLat := -100 + 2*x + 3*y + 0.2*y*y + 0.1*x*y + 0.2*math.Sqrt(math.Abs(x)) + common
	dLat += (20*math.Sin(y*math.Pi) + 40*math.Sin(y/3*math.Pi)) * 2 / 3
	dLat += (160*math.Sin(y/12*math.Pi) + 320*math.Sin(y*math.Pi/30)) * 2 / 3
	dLon := 300 + x + 2*y + 0.1*x*x + 0.1*x*y + 0.1*math.Sqrt(math.Abs(x)) + common
	dLon += (20*math.Sin(x*math.Pi) + 40*math.Sin(x/3*math.Pi)) * 2 / 3
	dLon += (150*math.Sin(x/12*math.Pi) + 300*math.Sin(x/30*math.Pi)) * 2 / 3

	radLat := lat / 180 * math.Pi
	magic := math.Sin(radLat)
	magic = 1 - gcjEE*magic*magic
	sqrtMagic := math.Sqrt(magic)
	dLat = (dLat * 180) / ((gcjA * (1 - gcjEE)) / (magic * sqrtMagic) * math.Pi)
	dLon = (dLon * 180) / (gcjA / sqrtMagic * math.Cos(radLat) * math.Pi)
	return lon + dLon, lat + dLat
}

// gcjToWGS inverts wgsToGCJ by fixed-point iteration, p ← p − (f(p) − q):
// the offset changes by well under 1 % of a step between neighbouring
// points, so each step gains more than two digits. ok is false only for a
// point on the edge of the rectangle that no position maps to.
func gcjToWGS(lon, lat float64) (wlon, wlat float64, ok bool) {
	return invert(wgsToGCJ, lon, lat, lon, lat)
}

// gcjToBD is the BD-09 forward formula, from GCJ-02.
func gcjToBD(lon, lat float64) (float64, float64) {
	z := math.Sqrt(lon*lon+lat*lat) + 0.00002*math.Sin(lat*bdXPi)
	theta := math.Atan2(lat, lon) + 0.000003*math.Cos(lon*bdXPi)
	return z*math.Cos(theta) + 0.0065, z*math.Sin(theta) + 0.006
}

// bdToGCJ inverts gcjToBD: the public closed-form approximate inverse
// (off by up to 0.2 m, TestBD09ApproximateInverse), refined by
// fixed-point iteration.
func bdToGCJ(lon, lat float64) (float64, float64, bool) {
	x, y := lon-0.0065, lat-0.006
	z := math.Sqrt(x*x+y*y) - 0.00002*math.Sin(y*bdXPi)
	theta := math.Atan2(y, x) - 0.000003*math.Cos(x*bdXPi)
	return invert(gcjToBD, lon, lat, z*math.Cos(theta), z*math.Sin(theta))
}

// invert solves f(p) = q for p from the first guess p0 by fixed-point
// iteration.
func invert(f func(lon, lat float64) (float64, float64), qlon, qlat, plon, plat float64) (float64, float64, bool) {
	best, blon, blat := math.Inf(1), plon, plat
	for range invMaxIter {
		flon, flat := f(plon, plat)
		dlon, dlat := flon-qlon, flat-qlat
		r := math.Max(math.Abs(dlon), math.Abs(dlat))
		if r < best {
			best, blon, blat = r, plon, plat
		}
		if !(r > invTol) {
			break
		}
		plon, plat = plon-dlon, plat-dlat
	}
	if !(best <= invAccept) {
		return 0, 0, false
	}
	return blon, blat, true
}
