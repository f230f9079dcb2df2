// Command listgen writes synthetic project lists (批量筛查 input) for
// benchmarks: n rows inside the sample's districts (Chongqing) with a
// fixed seed, points or parcels (regular polygons of -vertices vertices
// and -radius metres), as CSV or XLSX (by the output's extension).
//
//	go run ./cmd/listgen -n 100000 -kind point -o /tmp/list.xlsx
//	go run ./cmd/listgen -n 10000 -kind polygon -vertices 64 -radius 400 -o /tmp/parcels.xlsx
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/xuri/excelize/v2"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/geo"
)

func main() {
	n := flag.Int("n", 100000, "rows")
	kind := flag.String("kind", "point", "point or polygon")
	out := flag.String("o", "list.csv", "output .csv or .xlsx")
	seed := flag.Uint64("seed", 1, "random seed")
	vertices := flag.Int("vertices", 4, "vertices of a parcel (polygon)")
	radius := flag.Float64("radius", 170, "radius of a parcel in metres (polygon)")
	flag.Parse()
	g, err := newGenerator(*kind, *vertices, *radius)
	if err == nil {
		err = write(*out, *n, g, *seed)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "listgen:", err)
		os.Exit(1)
	}
}

var header = []string{"项目名称", "行业代码", "建设性质", "经度", "纬度", "坐标串", "备注"}

// generator makes rows inside the sample's districts.
type generator struct {
	kind     string
	vertices int
	radius   float64
	d        *admission.Dataset
	bound    orb.Bound
}

func newGenerator(kind string, vertices int, radius float64) (*generator, error) {
	if kind != "point" && kind != "polygon" {
		return nil, fmt.Errorf("-kind %q: point or polygon", kind)
	}
	if vertices < 3 || radius <= 0 {
		return nil, fmt.Errorf("-vertices ≥ 3 and -radius > 0")
	}
	c, err := data.ReadDataset(data.Sample())
	if err != nil {
		return nil, err
	}
	d, err := c.Open(admission.Options{})
	if err != nil {
		return nil, err
	}
	l, _ := d.Layer(admission.LayerDistricts)
	g := &generator{kind: kind, vertices: vertices, radius: radius, d: d, bound: l.Features[0].Geometry.Bound()}
	for _, f := range l.Features {
		g.bound = g.bound.Union(f.Geometry.Bound())
	}
	return g, nil
}

// inside draws a point inside some district (rejection sampling).
func (g *generator) inside(rng *rand.Rand) orb.Point {
	l, _ := g.d.Layer(admission.LayerDistricts)
	for {
		p := orb.Point{g.bound.Min[0] + rng.Float64()*(g.bound.Max[0]-g.bound.Min[0]), g.bound.Min[1] + rng.Float64()*(g.bound.Max[1]-g.bound.Min[1])}
		for _, j := range g.d.FeaturesIn(admission.LayerDistricts, orb.Bound{Min: p, Max: p}) {
			if planar.MultiPolygonContains(geo.AsMultiPolygon(l.Features[j].Geometry), p) {
				return p
			}
		}
	}
}

// row returns the cells of row i.
func (g *generator) row(rng *rand.Rand, i int) []string {
	industries := []string{"C2614", "I6450", "C1713", "D4411", "C3311", "K7010"}
	p := g.inside(rng)
	cells := []string{fmt.Sprintf("项目%06d", i), industries[i%len(industries)], "新建", "", "", "", "基准测试"}
	if g.kind == "polygon" {
		var b strings.Builder
		b.WriteString("POLYGON((")
		dy := g.radius / 111_320
		dx := dy / math.Cos(p[1]*math.Pi/180)
		for k := 0; k <= g.vertices; k++ {
			a := 2 * math.Pi * float64(k%g.vertices) / float64(g.vertices)
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%.6f %.6f", p[0]+dx*math.Cos(a), p[1]+dy*math.Sin(a))
		}
		b.WriteString("))")
		cells[5] = b.String()
	} else {
		cells[3], cells[4] = fmt.Sprintf("%.6f", p[0]), fmt.Sprintf("%.6f", p[1])
	}
	return cells
}

func write(out string, n int, g *generator, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 1))
	switch strings.ToLower(filepath.Ext(out)) {
	case ".csv":
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		w := bufio.NewWriter(f)
		w.WriteString(strings.Join(header, ",") + "\n")
		for i := 0; i < n; i++ {
			cells := g.row(rng, i)
			cells[5] = `"` + cells[5] + `"`
			w.WriteString(strings.Join(cells, ",") + "\n")
		}
		if err := w.Flush(); err != nil {
			return err
		}
		return f.Close()
	case ".xlsx":
		f := excelize.NewFile()
		defer f.Close()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			return err
		}
		toRow := func(cells []string) []any {
			r := make([]any, len(cells))
			for i, c := range cells {
				r[i] = c
			}
			return r
		}
		if err := sw.SetRow("A1", toRow(header)); err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			cell, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(cell, toRow(g.row(rng, i))); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		return f.SaveAs(out)
	}
	return fmt.Errorf("-o %q: .csv or .xlsx", out)
}
