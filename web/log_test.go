package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/internal/syncbuf"
)

// lockedBuffer captures a server's log while the test reads it.
type lockedBuffer = syncbuf.Buffer

func TestAccessLog(t *testing.T) {
	var buf lockedBuffer
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, slog.New(slog.NewJSONHandler(&buf, nil))))
	do(t, "GET", ts.URL+"/api/v1/features/control_units/ZH50010120001", "", RequestIDHeader, "trace-1")
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		require.NoError(t, json.Unmarshal([]byte(l), &line))
		if line["msg"] == "request" {
			break
		}
	}
	assert.Equal(t, "GET", line["method"])
	assert.Equal(t, "/api/v1/features/:layer/:id", line["route"])
	assert.Equal(t, float64(200), line["status"])
	assert.Equal(t, "trace-1", line["request_id"])
	assert.Contains(t, line, "duration_ms")
}

// TestReplaceWhileServing swaps datasets under concurrent requests: every
// answer comes whole from one dataset (run with -race).
func TestReplaceWhileServing(t *testing.T) {
	a, b := testDataset(t), testDataset(t)
	var store admission.Store
	store.Replace(a)
	ts := newTestServer(t, New(&store, Config{}, testLogger(t)))
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				path := []string{"/api/v1/layers", "/api/v1/check?lon=106.525&lat=29.525", "/api/v1/dataset", "/metrics"}[j%4]
				r := do(t, "GET", ts.URL+path, "")
				assert.Equal(t, http.StatusOK, r.Status, "%s: %s", path, r.Body)
			}
		}()
	}
	for j := 0; j < 20; j++ {
		if j%2 == 0 {
			store.Replace(b)
		} else {
			store.Replace(a)
		}
	}
	wg.Wait()
}

func TestMethodNotAllowedSaysAllow(t *testing.T) {
	ts := newTestServer(t, New(staticSource{nil}, Config{}, nil))
	r := do(t, "PUT", ts.URL+"/api/v1/check", `{}`)
	assert.Equal(t, http.StatusMethodNotAllowed, r.Status)
	assert.Equal(t, CodeMethodNotAllowed, errorOf(t, r).Code)
	assert.Contains(t, r.Header.Get("Allow"), "POST")
	assert.Contains(t, r.Header.Get("Allow"), "GET")
}
