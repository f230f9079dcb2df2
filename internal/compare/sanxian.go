package compare

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/paulmach/orb/geojson"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/geo"
)

// Key names a feature: layer id and feature id.
type Key struct {
	Layer string `json:"layer"`
	ID    string `json:"id"`
}

func (k Key) String() string { return k.Layer + "/" + k.ID }

// Measure is what an engine says about one feature the site hits.
// Contact is false for features only within the buffer; AreaM2 is set
// for polygon sites against polygon features in contact (nil or 0 for a
// touch without overlap), LengthM for line sites against polygon
// features, DistanceM for features within the buffer only.
type Measure struct {
	Contact   bool     `json:"contact"`
	AreaM2    *float64 `json:"area_m2,omitempty"`
	LengthM   *float64 `json:"length_m,omitempty"`
	DistanceM *float64 `json:"distance_m,omitempty"`
}

// Answer is an engine's answer to a query: the features hit.
type Answer map[Key]Measure

// Sanxian answers queries in process, through admission.Dataset.Check
// limited to every layer of the dataset (so that no access-list
// assessment is added: PostGIS is asked the geometric question only).
type Sanxian struct {
	d      *admission.Dataset
	layers []string
}

// NewSanxian wraps d.
func NewSanxian(d *admission.Dataset) *Sanxian {
	s := &Sanxian{d: d}
	for _, l := range d.Layers() {
		s.layers = append(s.layers, l.ID)
	}
	return s
}

// Query answers q in process.
func (s *Sanxian) Query(ctx context.Context, q Query) (Answer, error) {
	res, err := s.d.Check(ctx, admission.CheckRequest{Geometry: q.Site, BufferM: q.BufferM, Layers: s.layers})
	if err != nil {
		return nil, fmt.Errorf("sanxian: %s: %w", q.ID, err)
	}
	ans := make(Answer, len(res.Hits))
	for _, h := range res.Hits {
		ans[Key{h.Layer, h.ID}] = fromHit(h.Hit)
	}
	return ans, nil
}

func fromHit(h geo.Hit) Measure {
	m := Measure{Contact: h.Relation != geo.Nearby, AreaM2: h.OverlapAreaM2, LengthM: h.OverlapLengthM}
	if !m.Contact {
		d := h.DistanceM
		m.DistanceM = &d
	}
	return m
}

// HTTP answers queries through a running sanxian server: POST
// /api/v1/check with the site as GeoJSON (coordinates as Go prints
// float64s, which read back exactly), the buffer and every layer.
type HTTP struct {
	url    string
	client *http.Client
	layers []string
}

// NewHTTP talks to the server at base (e.g. http://127.0.0.1:8080) with
// client; layers are the dataset's layer ids.
func NewHTTP(base string, client *http.Client, layers []string) *HTTP {
	return &HTTP{url: base + "/api/v1/check", client: client, layers: layers}
}

type httpAnswer struct {
	Hits []struct {
		Layer          string   `json:"layer"`
		ID             string   `json:"id"`
		Relation       string   `json:"relation"`
		OverlapAreaM2  *float64 `json:"overlap_area_m2"`
		OverlapLengthM *float64 `json:"overlap_length_m"`
		DistanceM      float64  `json:"distance_m"`
	} `json:"hits"`
}

// Query answers q over HTTP.
func (h *HTTP) Query(ctx context.Context, q Query) (Answer, error) {
	body, err := json.Marshal(struct {
		Geometry *geojson.Geometry `json:"geometry"`
		BufferM  float64           `json:"buffer_m"`
		Layers   []string          `json:"layers"`
	}{geojson.NewGeometry(q.Site), q.BufferM, h.layers})
	if err != nil {
		return nil, fmt.Errorf("http: %s: %w", q.ID, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("http: %s: %w", q.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("http: %s: %w", q.ID, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("http: %s: %w", q.ID, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("http: %s: status %d: %s", q.ID, resp.StatusCode, raw)
	}
	var a httpAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return nil, fmt.Errorf("http: %s: %w", q.ID, err)
	}
	ans := make(Answer, len(a.Hits))
	for _, x := range a.Hits {
		ans[Key{x.Layer, x.ID}] = fromHit(geo.Hit{Relation: geo.Relation(x.Relation), OverlapAreaM2: x.OverlapAreaM2, OverlapLengthM: x.OverlapLengthM, DistanceM: x.DistanceM})
	}
	return ans, nil
}
