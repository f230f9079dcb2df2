// Command listgen writes synthetic project lists (批量筛查 input) for
// benchmarks: n rows spread over Chongqing with a fixed seed, points or
// ~300 m square parcels, as CSV or XLSX (by the output's extension).
//
//	go run ./cmd/listgen -n 100000 -kind point -o /tmp/list.xlsx
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/xuri/excelize/v2"
)

func main() {
	n := flag.Int("n", 100000, "rows")
	kind := flag.String("kind", "point", "point or polygon")
	out := flag.String("o", "list.csv", "output .csv or .xlsx")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := write(*out, *n, *kind, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "listgen:", err)
		os.Exit(1)
	}
}

var header = []string{"项目名称", "行业代码", "建设性质", "经度", "纬度", "坐标串", "备注"}

// row returns the cells of row i.
func row(rng *rand.Rand, i int, kind string) []string {
	industries := []string{"C2614", "I6450", "C1713", "D4411", "C3311", "K7010"}
	lon, lat := 105.6+rng.Float64()*3.5, 28.7+rng.Float64()*2.8
	cells := []string{fmt.Sprintf("项目%06d", i), industries[i%len(industries)], "新建", "", "", "", "基准测试"}
	if kind == "polygon" {
		d := 0.003
		cells[5] = fmt.Sprintf("POLYGON((%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f))", lon, lat, lon+d, lat, lon+d, lat+d, lon, lat+d, lon, lat)
	} else {
		cells[3], cells[4] = fmt.Sprintf("%.6f", lon), fmt.Sprintf("%.6f", lat)
	}
	return cells
}

func write(out string, n int, kind string, seed uint64) error {
	if kind != "point" && kind != "polygon" {
		return fmt.Errorf("-kind %q: point or polygon", kind)
	}
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
			cells := row(rng, i, kind)
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
			if err := sw.SetRow(cell, toRow(row(rng, i, kind))); err != nil {
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
