package web

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/geo"
)

// LayerSummary describes one layer in /api/v1/layers and /api/v1/dataset.
// BBox is [minLon, minLat, maxLon, maxLat] over all features, absent for
// an empty layer.
type LayerSummary struct {
	ID           string         `json:"id"`
	Title        string         `json:"title"`
	Role         admission.Role `json:"role"`
	Kind         admission.Kind `json:"kind"`
	FeatureCount int            `json:"feature_count"`
	BBox         *[4]float64    `json:"bbox,omitempty"`
}

// DatasetSummary is the answer of /api/v1/dataset: the dataset's identity
// and its layers.
type DatasetSummary struct {
	admission.Info
	Layers []LayerSummary `json:"layers"`
}

// layerSummaries computes the summaries once per dataset in service.
func (s *Server) layerSummaries(d *admission.Dataset) []LayerSummary {
	s.summaryMu.Lock()
	defer s.summaryMu.Unlock()
	if s.summaryOf == d {
		return s.summary
	}
	out := make([]LayerSummary, 0, len(d.Layers()))
	for _, l := range d.Layers() {
		ls := LayerSummary{ID: l.ID, Title: l.Title, Role: l.Role, Kind: l.Kind, FeatureCount: len(l.Features)}
		for i, f := range l.Features {
			if f.Geometry == nil {
				continue
			}
			b := f.Geometry.Bound()
			if ls.BBox == nil || i == 0 {
				ls.BBox = &[4]float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
				continue
			}
			ls.BBox[0] = math.Min(ls.BBox[0], b.Min[0])
			ls.BBox[1] = math.Min(ls.BBox[1], b.Min[1])
			ls.BBox[2] = math.Max(ls.BBox[2], b.Max[0])
			ls.BBox[3] = math.Max(ls.BBox[3], b.Max[1])
		}
		out = append(out, ls)
	}
	s.summaryOf, s.summary = d, out
	return out
}

func (s *Server) layers(c *gin.Context) {
	d, ok := s.current(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"dataset": d.Ref(), "layers": s.layerSummaries(d)})
}

func (s *Server) dataset(c *gin.Context) {
	d, ok := s.current(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, DatasetSummary{Info: d.Info(), Layers: s.layerSummaries(d)})
}

// features answers a layer as a GeoJSON FeatureCollection: with bbox only
// the features whose bounds intersect it, with zoom geometries simplified
// for that web-map zoom. Properties carry name, category, area_m2 and the
// feature's other attributes except its clauses (see the single-feature
// route for those).
func (s *Server) features(c *gin.Context) {
	d, ok := s.current(c)
	if !ok {
		return
	}
	layerID := c.Param("layer")
	layer, ok := d.Layer(layerID)
	if !ok {
		s.fail(c, errUnknownLayers([]string{layerID}, layerIDs(d)))
		return
	}
	zoom, hasZoom, err := zoomParam(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var idx []int
	if v, ok := c.GetQuery("bbox"); ok {
		b, err := parseBBox(v)
		if err != nil {
			s.fail(c, err)
			return
		}
		idx = d.FeaturesIn(layerID, b)
	} else {
		idx = make([]int, len(layer.Features))
		for i := range idx {
			idx[i] = i
		}
	}
	ctx := c.Request.Context()
	fc := geojson.NewFeatureCollection()
	fc.Features = make([]*geojson.Feature, 0, len(idx))
	for n, j := range idx {
		if n%256 == 0 && ctx.Err() != nil {
			s.fail(c, newError(CodeTimeout, fmt.Sprintf("读取图层要素超过时限 %s，请用 bbox 缩小范围。", s.cfg.RequestTimeout), nil))
			return
		}
		f := &layer.Features[j]
		g := f.Geometry
		if hasZoom {
			g = geo.SimplifyForZoom(g, zoom)
		}
		gf := geojson.NewFeature(g)
		gf.ID = f.ID
		gf.Properties = featureProps(layerID, f, d.FeatureArea(layerID, j), false)
		fc.Append(gf)
	}
	c.JSON(http.StatusOK, fc)
}

// feature answers one feature at full resolution with all its properties,
// clauses included (from the access list when the dataset has one), and
// area_m2.
func (s *Server) feature(c *gin.Context) {
	d, ok := s.current(c)
	if !ok {
		return
	}
	layerID, id := c.Param("layer"), c.Param("id")
	if _, ok := d.Layer(layerID); !ok {
		s.fail(c, errUnknownLayers([]string{layerID}, layerIDs(d)))
		return
	}
	f, area, ok := d.Feature(layerID, id)
	if !ok {
		s.fail(c, newError(CodeFeatureNotFound, fmt.Sprintf("图层 %s 中没有编号为 %s 的要素。", layerID, id),
			map[string]any{"layer": layerID, "id": id}))
		return
	}
	gf := geojson.NewFeature(f.Geometry)
	gf.ID = f.ID
	gf.Properties = featureProps(layerID, f, area, true)
	if len(d.Rules().Clauses) > 0 {
		// The access list is the source of a feature's clauses.
		cl := d.ClausesFor(layerID, f)
		if cl == nil {
			cl = []admission.Clause{}
		}
		gf.Properties["clauses"] = cl
	}
	c.JSON(http.StatusOK, gf)
}

func featureProps(layer string, f *admission.Feature, area float64, clauses bool) geojson.Properties {
	p := make(geojson.Properties, len(f.Properties)+4)
	for k, v := range f.Properties {
		if k == "clauses" && !clauses {
			continue
		}
		p[k] = v
	}
	p["layer"] = layer
	p["name"] = f.Name
	p["category"] = f.Category
	p["area_m2"] = area
	return p
}

func layerIDs(d *admission.Dataset) []string {
	ids := make([]string, 0, len(d.Layers()))
	for _, l := range d.Layers() {
		ids = append(ids, l.ID)
	}
	return ids
}

// zoomParam reads the optional zoom (integer 0–22).
func zoomParam(c *gin.Context) (int, bool, error) {
	v, ok := c.GetQuery("zoom")
	if !ok {
		return 0, false, nil
	}
	z, err := strconv.Atoi(v)
	if err != nil || z < 0 || z > 22 {
		return 0, false, newError(CodeInvalidParameter, fmt.Sprintf("查询参数 zoom 应为 0 到 22 的整数，收到 %q。", v),
			map[string]any{"parameter": "zoom", "value": v})
	}
	return z, true, nil
}

// parseBBox reads "minLon,minLat,maxLon,maxLat".
func parseBBox(v string) (orb.Bound, error) {
	bad := func(why string) error {
		return newError(CodeInvalidParameter, "查询参数 bbox 应为 最小经度,最小纬度,最大经度,最大纬度："+why,
			map[string]any{"parameter": "bbox", "value": v})
	}
	parts := strings.Split(v, ",")
	if len(parts) != 4 {
		return orb.Bound{}, bad(fmt.Sprintf("需要 4 个数，收到 %d 个。", len(parts)))
	}
	var n [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return orb.Bound{}, bad(fmt.Sprintf("第 %d 个值 %q 不是数字。", i+1, p))
		}
		n[i] = f
	}
	switch {
	case n[0] < -180 || n[2] > 180 || n[1] < -90 || n[3] > 90:
		return orb.Bound{}, bad("经度须在 -180 到 180、纬度须在 -90 到 90 之间。")
	case n[0] > n[2] || n[1] > n[3]:
		return orb.Bound{}, bad("最小值不能大于最大值。")
	}
	return orb.Bound{Min: orb.Point{n[0], n[1]}, Max: orb.Point{n[2], n[3]}}, nil
}
