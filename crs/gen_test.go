package crs

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The PROJ fixtures under testdata/ are committed; regenerate them with
//
//	go test ./crs -run TestGenerateProjFixtures -gen-proj
//
// which needs PROJ's command-line tools (Debian: apt-get install
// proj-bin; written with PROJ 9.1.1). It writes
//
//   - testdata/epsg_proj.txt: `projinfo -o PROJ` and the ESRI and EPSG
//     names of EPSG:4490, 4326 and 4491–4554;
//   - testdata/gk_proj.csv (epsg,lon,lat,x,y): PROJ's forward projection
//     of a grid of longitudes and latitudes, across the zone and beyond
//     (±2° for 3° zones, ±3.5° for 6° zones), latitudes 18°–54°;
//   - testdata/gk_proj_inverse.csv (epsg,x,y,lon,lat): PROJ's inverse of a
//     grid of eastings and northings.
//
// Axis order: cs2cs follows the EPSG database, so EPSG:4490 reads and
// writes "latitude longitude" and EPSG:4545 "northing easting". The
// generator swaps the columns so that the CSV files, like the package,
// have x = easting or longitude and y = northing or latitude.
var genProj = flag.Bool("gen-proj", false, "regenerate testdata/*proj* with PROJ's cs2cs and projinfo")

// fixtureCodes are the zones in the PROJ fixtures: the six of Chongqing
// (3°, with and without the zone in the easting), the ends of the 3°
// ranges and 6° zones of both kinds.
var fixtureCodes = []int{
	4544, 4545, 4546, 4522, 4523, 4524,
	4534, 4554, 4513, 4533,
	4502, 4507, 4508, 4512, 4491, 4493, 4496, 4501,
}

var (
	fixtureLats  = []float64{18, 19.87654321, 23.5, 27.123456789, 29.56, 33.3, 38.7654321, 43.2, 48.6, 54}
	fixtureDLon3 = []float64{-2, -1.5, -1.234567891, -0.75, -0.25, 0, 0.000001, 0.4, 1, 1.4999, 1.5, 1.75, 2}
	fixtureDLon6 = []float64{-3.5, -3, -2.345678912, -1.5, -0.5, 0, 0.9, 2, 2.999, 3, 3.25, 3.5}
	fixtureNorth = []float64{2000000, 2512345.678, 3000000, 3300000, 3700000.5, 4200000, 4800000, 5400000, 5980000}
	fixtureDE3   = []float64{-190000, -150000, -100000.25, -50000, -1234.5678, 0, 12345.678, 80000, 140000, 170000, 190000}
	fixtureDE6   = []float64{-370000, -330000, -250000, -150000.75, -50000, 0, 2345.678, 100000, 200000, 300000, 350000, 370000}
)

func TestGenerateProjFixtures(t *testing.T) {
	if !*genProj {
		t.Skip("run with -gen-proj to regenerate the PROJ fixtures")
	}
	_, err := exec.LookPath("projinfo")
	require.NoError(t, err, "projinfo and cs2cs (Debian proj-bin) are needed")
	usage, _ := exec.Command("cs2cs").CombinedOutput() // "Rel. 9.1.1, December 1st, 2022" then usage
	ver, _, _ := strings.Cut(string(usage), "\n")
	ver = strings.TrimSpace(ver)

	// epsg_proj.txt
	var defs bytes.Buffer
	fmt.Fprintf(&defs, "# code\tprojinfo -o PROJ\tESRI name\tEPSG name — written by TestGenerateProjFixtures with %s\n", ver)
	codes := []int{4490, 4326}
	for c := firstGK6Zone; c <= lastGK; c++ {
		codes = append(codes, c)
	}
	for _, code := range codes {
		def := projinfo(t, code, "PROJ")
		esri := wktName(projinfo(t, code, "WKT1_ESRI"))
		epsg := wktName(projinfo(t, code, "WKT1_GDAL"))
		fmt.Fprintf(&defs, "%d\t%s\t%s\t%s\n", code, def, esri, epsg)
	}
	writeFixture(t, "epsg_proj.txt", defs.Bytes())

	// gk_proj.csv: forward.
	var fwd bytes.Buffer
	fmt.Fprintf(&fwd, "# PROJ %s: echo 'lat lon' | cs2cs -f %%.12f EPSG:4490 EPSG:<epsg>, columns swapped to x=easting, y=northing\n", ver)
	fwd.WriteString("epsg,lon,lat,x,y\n")
	for _, code := range fixtureCodes {
		c, ok := byEPSG(code)
		require.True(t, ok)
		dlons := fixtureDLon3
		if c.ZoneWidth == 6 {
			dlons = fixtureDLon6
		}
		var in []string
		var pts [][2]float64
		for _, lat := range fixtureLats {
			for _, d := range dlons {
				lon := c.CentralMeridian + d
				pts = append(pts, [2]float64{lon, lat})
				in = append(in, fmt.Sprintf("%.12f %.12f", lat, lon)) // EPSG:4490 is latitude first
			}
		}
		out := cs2cs(t, "EPSG:4490", c.Name, in)
		for i, o := range out {
			fmt.Fprintf(&fwd, "%d,%s,%s,%s,%s\n", code, num(pts[i][0]), num(pts[i][1]), o[1], o[0]) // northing first
		}
	}
	writeFixture(t, "gk_proj.csv", fwd.Bytes())

	// gk_proj_inverse.csv: inverse.
	var inv bytes.Buffer
	fmt.Fprintf(&inv, "# PROJ %s: echo 'northing easting' | cs2cs -f %%.12f EPSG:<epsg> EPSG:4490, columns swapped to x=easting, y=northing, lon, lat\n", ver)
	inv.WriteString("epsg,x,y,lon,lat\n")
	for _, code := range fixtureCodes {
		c, _ := byEPSG(code)
		des := fixtureDE3
		if c.ZoneWidth == 6 {
			des = fixtureDE6
		}
		var in []string
		var pts [][2]float64
		for _, n := range fixtureNorth {
			for _, d := range des {
				e := c.FalseEasting + d
				pts = append(pts, [2]float64{e, n})
				in = append(in, fmt.Sprintf("%.6f %.6f", n, e)) // EPSG:45xx is northing first
			}
		}
		out := cs2cs(t, c.Name, "EPSG:4490", in)
		for i, o := range out {
			fmt.Fprintf(&inv, "%d,%s,%s,%s,%s\n", code, num(pts[i][0]), num(pts[i][1]), o[1], o[0]) // latitude first
		}
	}
	writeFixture(t, "gk_proj_inverse.csv", inv.Bytes())
}

func projinfo(t *testing.T, code int, format string) string {
	t.Helper()
	out, err := exec.Command("projinfo", "-q", "--single-line", "-o", format, "EPSG:"+strconv.Itoa(code)).CombinedOutput()
	require.NoError(t, err, "projinfo EPSG:%d: %s", code, out)
	return strings.TrimSpace(string(out))
}

// wktName is the name of the outermost WKT node.
func wktName(wkt string) string {
	i := strings.IndexByte(wkt, '"')
	j := strings.IndexByte(wkt[i+1:], '"')
	return wkt[i+1 : i+1+j]
}

// cs2cs runs PROJ's cs2cs on lines of two coordinates and returns the
// first two output fields of each line.
func cs2cs(t *testing.T, from, to string, lines []string) [][2]string {
	t.Helper()
	cmd := exec.Command("cs2cs", "-f", "%.12f", from, to)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	out, err := cmd.Output()
	require.NoError(t, err, "cs2cs %s %s", from, to)
	var res [][2]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		require.GreaterOrEqual(t, len(f), 2, "cs2cs output %q", sc.Text())
		for _, v := range f[:2] {
			_, err := strconv.ParseFloat(v, 64)
			require.NoError(t, err, "cs2cs %s %s gave %q", from, to, sc.Text())
		}
		res = append(res, [2]string{f[0], f[1]})
	}
	require.Len(t, res, len(lines))
	return res
}

func writeFixture(t *testing.T, name string, data []byte) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join("testdata", name), data, 0o644))
	t.Logf("wrote testdata/%s (%d bytes)", name, len(data))
}
