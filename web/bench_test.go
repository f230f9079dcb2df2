package web

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
)

// BenchmarkHTTPPointCheck measures the whole handler stack (routing,
// middleware, parsing, check, JSON) on the embedded sample, without a
// network.
func BenchmarkHTTPPointCheck(b *testing.B) {
	c, err := data.ReadDataset(data.Sample())
	if err != nil {
		b.Fatal(err)
	}
	d, err := c.Open(admission.Options{})
	if err != nil {
		b.Fatal(err)
	}
	var store admission.Store
	store.Replace(d)
	h := New(&store, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	req := httptest.NewRequest(http.MethodGet, "/api/v1/check?lon=106.55&lat=29.56", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}
