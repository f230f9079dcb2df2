package data

import (
	"encoding/json"
	"errors"
	"regexp"
	"testing"
	"testing/fstest"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

var checksumRe = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// datasetSeed is a small valid dataset folder: manifest, one layer file
// and rules, as FuzzReadDataset takes them.
func datasetSeed(t testing.TB) (manifest, layer, rules []byte) {
	t.Helper()
	info, layers := sample()
	m := Manifest{Info: info, Rules: "rules.json"}
	l := layers[0]
	m.Layers = []ManifestLayer{{ID: l.ID, Title: l.Title, Role: l.Role, Kind: l.Kind, File: "layer.geojson"}}
	fc := geojson.NewFeatureCollection()
	for _, ft := range l.Features {
		gf := geojson.NewFeature(ft.Geometry)
		gf.ID = ft.ID
		gf.Properties = geojson.Properties{"name": ft.Name, "category": ft.Category}
		for k, v := range ft.Properties {
			gf.Properties[k] = v
		}
		fc.Append(gf)
	}
	r := admission.Rules{Clauses: []admission.Clause{{ID: "U-ZH50010310001-KJ-1-1", Level: admission.LevelUnit,
		Scope: admission.Scope{Unit: "ZH50010310001"}, Dimension: "空间布局约束", Number: "1-1", Text: "禁止新建工业项目。",
		Effect: admission.EffectProhibit, Machine: false}}}
	var err error
	if manifest, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if layer, err = json.Marshal(fc); err != nil {
		t.Fatal(err)
	}
	if rules, err = json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	return manifest, layer, rules
}

// FuzzReadDataset reads a dataset folder whose dataset.json, layer file
// (layer.geojson) and rules file (rules.json) are arbitrary bytes: it
// never panics; what it reads has a sha256 checksum and features with an
// id and a geometry; Open accepts it or fails with an
// *admission.ValidationError; and a dataset Open accepts survives
// WriteDataset and LoadDir unchanged (layers, features, properties,
// geometries, rules).
func FuzzReadDataset(f *testing.F) {
	m, l, r := datasetSeed(f)
	f.Add(m, l, r)
	f.Add(m, l, []byte(`{"clauses":[{"id":"x","level":"city","dimension":"空间布局约束","text":"x","effect":"prohibit","machine":true,"industries":{"include":["C26"]}}]}`))
	f.Add([]byte(`{"name":"x","layers":[{"id":"a","file":"../etc/passwd"}]}`), l, r)
	f.Fuzz(func(t *testing.T, manifest, layer, rules []byte) {
		defer fuzzkit.Guard(t)()
		fsys := fstest.MapFS{
			ManifestFile:    {Data: manifest},
			"layer.geojson": {Data: layer},
			"rules.json":    {Data: rules},
		}
		c, err := ReadDataset(fsys)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if !checksumRe.MatchString(c.Info.Checksum) {
			t.Fatalf("checksum %q", c.Info.Checksum)
		}
		for _, l := range c.Layers {
			for _, ft := range l.Features {
				if ft.ID == "" || ft.Geometry == nil {
					t.Fatalf("layer %s: feature %+v", l.ID, ft)
				}
			}
		}
		if _, err := c.Open(admission.Options{}); err != nil {
			var ve *admission.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("open: error of type %T: %v", err, err)
			}
			return
		}
		dir := t.TempDir()
		if _, err := WriteDataset(dir, c); err != nil {
			t.Fatalf("write a valid dataset: %v", err)
		}
		again, err := LoadDir(dir)
		if err != nil {
			t.Fatalf("read back: %v", err)
		}
		requireSameContents(t, c, again)
	})
}

func requireSameContents(t *testing.T, a, b Contents) {
	t.Helper()
	js := func(v any) string {
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	if len(a.Layers) != len(b.Layers) {
		t.Fatalf("%d layers, read back %d", len(a.Layers), len(b.Layers))
	}
	for i, la := range a.Layers {
		lb := b.Layers[i]
		if la.ID != lb.ID || la.Title != lb.Title || la.Role != lb.Role || la.Kind != lb.Kind || len(la.Features) != len(lb.Features) {
			t.Fatalf("layer %s read back as %s", la.ID, lb.ID)
		}
		for j, fa := range la.Features {
			fb := lb.Features[j]
			if fa.ID != fb.ID || fa.Name != fb.Name || fa.Category != fb.Category || js(fa.Properties) != js(fb.Properties) ||
				!orb.Equal(fa.Geometry, fb.Geometry) {
				t.Fatalf("feature %+v read back as %+v", fa, fb)
			}
		}
	}
	if js(a.Rules) != js(b.Rules) {
		t.Fatalf("rules %s read back as %s", js(a.Rules), js(b.Rules))
	}
}
