package samplegen

import "math"

// Deterministic noise: hashes of integer lattice points, interpolated.
// Nothing here depends on map order, goroutines or global state.

func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// hash2 hashes two integers under a seed.
func hash2(seed uint64, a, b int64) uint64 {
	return mix64(seed ^ mix64(uint64(a)*0x9e3779b97f4a7c15^mix64(uint64(b)+0x632be59bd9b4e019)))
}

// unit maps a hash to [-1, 1).
func unit(h uint64) float64 { return float64(h>>11)/float64(1<<52) - 1 }

// valueNoise is smooth 2-D value noise in [-1, 1] with unit wavelength.
func valueNoise(seed uint64, x, y float64) float64 {
	fx, fy := math.Floor(x), math.Floor(y)
	ix, iy := int64(fx), int64(fy)
	tx, ty := x-fx, y-fy
	sx := tx * tx * (3 - 2*tx)
	sy := ty * ty * (3 - 2*ty)
	v00 := unit(hash2(seed, ix, iy))
	v10 := unit(hash2(seed, ix+1, iy))
	v01 := unit(hash2(seed, ix, iy+1))
	v11 := unit(hash2(seed, ix+1, iy+1))
	a := v00 + (v10-v00)*sx
	b := v01 + (v11-v01)*sx
	return a + (b-a)*sy
}

// fbm sums octaves of value noise; wavelength is that of the first octave
// (km). The result is roughly in [-1, 1].
func fbm(seed uint64, x, y, wavelength float64, octaves int) float64 {
	sum, amp, norm := 0.0, 1.0, 0.0
	f := 1 / wavelength
	for o := 0; o < octaves; o++ {
		sum += amp * valueNoise(seed+uint64(o)*0x51ed27, x*f+float64(o)*17.3, y*f-float64(o)*9.1)
		norm += amp
		amp *= 0.5
		f *= 2.03
	}
	return sum / norm
}

// warp displaces a point by smooth noise of amplitude amp (km) and
// wavelength wl (km), for irregular versions of simple shapes.
func warp(seed uint64, x, y, amp, wl float64) (float64, float64) {
	return x + amp*fbm(seed^0x77, x, y, wl, 3), y + amp*fbm(seed^0x99, x, y, wl, 3)
}
