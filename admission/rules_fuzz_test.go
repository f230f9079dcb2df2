package admission

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// FuzzRules reads arbitrary bytes as a dataset's rules file (JSON,
// unknown fields refused, as data.ReadDataset reads it) over the layers
// of verdictFixture: NewDataset never panics and fails only with a
// *ValidationError whose problems concern the rules, each with a code
// and a Chinese message; rules it accepts give, for sites in every unit,
// by the river and outside the coverage, with and without a project, an
// answer whose verdict is one of the five, whose clause results name
// clauses of the file and whose unit verdicts name units of the layer.
func FuzzRules(f *testing.F) {
	base := verdictFixture(f)
	layers := base.Layers()
	good, err := json.Marshal(base.Rules())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	for _, s := range []string{
		`{"clauses":[]}`,
		`{"clauses":[{"id":"a","level":"city","dimension":"空间布局约束","text":"禁止新建化工项目。","effect":"prohibit","machine":true,"industries":{"include":["C26"]},"construction":["新建"]}]}`,
		`{"clauses":[{"id":"b","level":"zone","scope":{"layer":"water_sources","category":"一级保护区"},"dimension":"空间布局约束","text":"x","effect":"prohibit","machine":true,"exceptions":[{"activities":["patrol_monitoring"]}]}]}`,
		`{"clauses":[{"id":"c","level":"city","dimension":"空间布局约束","text":"x","effect":"restrict","machine":true,"spatial":{"layer":"rivers","attr":"name","values":["长江"],"within_m":1e308}}]}`,
		`{"clauses":[{"id":"d","level":"unit","scope":{"unit":"ZH50099910001"},"dimension":"空气","text":"","effect":"ban","machine":true}]}`,
		`{"clauses":[{"id":"e","level":"district","scope":{"county":"500101"},"dimension":"环境风险防控","text":"x","effect":"require","machine":false}]}`,
	} {
		f.Add([]byte(s))
	}
	units := map[string]bool{}
	for _, ft := range layers[1].Features {
		units[ft.ID] = true
	}
	sites := []orb.Geometry{
		orb.Point{106.52, 29.55}, orb.Point{106.57, 29.55}, orb.Point{106.63, 29.53},
		orb.Point{106.5125, 29.5825}, orb.Point{106.58, 29.5105}, orb.Point{107.5, 30.5},
		orb.Polygon{{{106.54, 29.54}, {106.62, 29.54}, {106.62, 29.56}, {106.54, 29.56}, {106.54, 29.54}}},
	}
	projects := []Project{{}, {Industry: "C2614", Construction: "新建"}, {Industry: "C17", Construction: "扩建", Activity: "patrol_monitoring"}}
	f.Fuzz(func(t *testing.T, b []byte) {
		defer fuzzkit.Guard(t)()
		var rules Rules
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if dec.Decode(&rules) != nil {
			return // encoding/json's business
		}
		d, err := NewDataset(testInfo, layers, Options{Rules: rules})
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("error of type %T: %v", err, err)
			}
			for _, p := range ve.Problems {
				if p.Layer != "rules" || p.Code == "" || !hasHan(p.Message) {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		ids := map[string]bool{}
		for _, c := range d.Rules().Clauses {
			ids[c.ID] = true
		}
		for _, site := range sites {
			for _, p := range projects {
				res, err := d.Check(context.Background(), CheckRequest{Geometry: site, BufferM: 200, Project: p})
				if err != nil {
					t.Fatalf("check %v %+v: %v", site, p, err)
				}
				a := res.Assessment
				if a == nil {
					continue
				}
				if _, ok := verdictRank[a.Verdict]; !ok || a.Label != VerdictLabel[a.Verdict] {
					t.Fatalf("verdict %q label %q", a.Verdict, a.Label)
				}
				for _, cr := range a.Clauses {
					if !ids[cr.ID] {
						t.Fatalf("result for clause %q not in the rules", cr.ID)
					}
					if _, ok := verdictRank[outcomeVerdict(cr)]; !ok {
						t.Fatalf("clause %s: outcome %q", cr.ID, cr.Outcome)
					}
				}
				for _, u := range a.Units {
					if !units[u.ID] {
						t.Fatalf("unit verdict for %q", u.ID)
					}
					if _, ok := verdictRank[u.Verdict]; !ok {
						t.Fatalf("unit %s verdict %q", u.ID, u.Verdict)
					}
				}
			}
		}
	})
}

func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// TestFuzzCorpus writes the generated seed corpora of the admission fuzz
// targets under testdata/fuzz/ when run with -update-fuzz-corpus;
// otherwise it skips. FuzzRules gets the rules of verdictFixture as
// data.WriteDataset writes them (indented) and the city and zone clauses
// of the embedded sample's rules file (its unit and district clauses name
// units the fixture does not have); FuzzNormalizeIndustryCode gets codes
// of every level written the ways people write them.
func TestFuzzCorpus(t *testing.T) {
	if !fuzzkit.Updating() {
		t.Skip("run with -update-fuzz-corpus to rewrite testdata/fuzz/")
	}
	s := fuzzkit.New(t, "FuzzRules")
	fixture, err := json.MarshalIndent(verdictFixture(t).Rules(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	s.Add("verdict-fixture", fixture)
	gz, err := os.Open("../data/sample/chongqing/rules.json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	var sample Rules
	if err := json.NewDecoder(zr).Decode(&sample); err != nil {
		t.Fatal(err)
	}
	var wide Rules
	for _, c := range sample.Clauses {
		if c.Level == LevelCity || c.Level == LevelZone {
			wide.Clauses = append(wide.Clauses, c)
		}
	}
	b, err := json.Marshal(wide)
	if err != nil {
		t.Fatal(err)
	}
	s.Add("sample-city-and-zone-clauses", b)
	s.Write()

	s = fuzzkit.New(t, "FuzzNormalizeIndustryCode")
	for i, c := range []string{"C2614", "c2614", "Ｃ２６１４", " C 26 14 ", "2614", "C26", "C", "I6450", "A0311", "C-2614", "C2614 有机化学原料制造"} {
		s.Add(fmt.Sprintf("code-%02d", i), c)
	}
	s.Write()
}
