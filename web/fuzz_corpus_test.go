package web

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"sort"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"
	"github.com/paulmach/orb/geojson"

	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// TestFuzzCorpus writes the generated seed corpora of the web fuzz
// targets under testdata/fuzz/ when run with -update-fuzz-corpus;
// otherwise it skips. The seeds are the request examples of
// openapi.json (bodies for FuzzDecodeCheckBody, their geometries for
// FuzzParseGeoJSON and FuzzParseWKT) and a parcel of 2,000 vertices with
// a hole, in both notations.
func TestFuzzCorpus(t *testing.T) {
	if !fuzzkit.Updating() {
		t.Skip("run with -update-fuzz-corpus to rewrite testdata/fuzz/")
	}
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Examples map[string]struct {
						Value json.RawMessage `json:"value"`
					} `json:"examples"`
				} `json:"content"`
			} `json:"requestBody"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatal(err)
	}
	bodies := fuzzkit.New(t, "FuzzDecodeCheckBody")
	geoms := fuzzkit.New(t, "FuzzParseGeoJSON")
	wkts := fuzzkit.New(t, "FuzzParseWKT")
	examples := spec.Paths["/api/v1/check"]["post"].RequestBody.Content["application/json"].Examples
	names := make([]string, 0, len(examples))
	for n := range examples {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(names) == 0 {
		t.Fatal("openapi.json has no check examples")
	}
	for _, n := range names {
		v := examples[n].Value
		bodies.Add("openapi-"+n, []byte(v))
		var b CheckBody
		if err := json.Unmarshal(v, &b); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if len(b.Geometry) > 0 {
			geoms.Add("openapi-"+n, []byte(b.Geometry))
		}
		if b.WKT != nil {
			wkts.Add("openapi-"+n, *b.WKT)
		}
	}
	// A parcel of 2,000 vertices around 106.55, 29.56 with a square hole.
	var ring orb.Ring
	for i := range 2000 {
		a := 2 * math.Pi * float64(i) / 2000
		r := 0.01 * (1 + 0.2*math.Sin(7*a))
		ring = append(ring, orb.Point{106.55 + r*math.Cos(a), 29.56 + r*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	hole := orb.Ring{{106.549, 29.559}, {106.549, 29.561}, {106.551, 29.561}, {106.551, 29.559}, {106.549, 29.559}}
	parcel := orb.Polygon{ring, hole}
	gj, err := geojson.NewGeometry(parcel).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	geoms.Add("parcel-2000-vertices", gj)
	wkts.Add("parcel-2000-vertices", wkt.MarshalString(parcel))
	wkts.Add("ewkt-multipolygon", "SRID=4490;MULTIPOLYGON(((106.54 29.54,106.56 29.54,106.56 29.56,106.54 29.54)),((106.6 29.6,106.61 29.6,106.61 29.61,106.6 29.6)))")
	bodies.Add("parcel-gk-4545", []byte(fmt.Sprintf(`{"wkt":%q,"crs":"EPSG:4545","buffer_m":500,"industry":"C2614","construction":"新建"}`,
		wkt.MarshalString(orb.Polygon{{{354000, 3272000}, {355000, 3272000}, {355000, 3273000}, {354000, 3272000}}}))))
	bodies.Write()
	geoms.Write()
	wkts.Write()
}
