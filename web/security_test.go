package web

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every answer — pages, scripts, JSON, errors, 404s — carries the
// security headers; the HTML pages get the strict page policy, the rest
// "load nothing".
func TestSecurityHeaders(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	cases := []struct {
		method, path, body string
		status             int
		page               bool
	}{
		{"GET", "/", "", 200, true},
		{"GET", "/report", "", 200, true},
		{"GET", "/batch", "", 200, true},
		{"GET", "/datasets", "", 200, true},
		{"GET", "/app.js", "", 200, false},
		{"GET", "/datasets.js", "", 200, false},
		{"GET", "/app.css", "", 200, false},
		{"GET", "/vendor/leaflet/leaflet.js", "", 200, false},
		{"GET", "/api/v1/layers", "", 200, false},
		{"POST", "/api/v1/check", "{", 400, false},
		{"GET", "/no/such/page", "", 404, false},
		{"GET", "/api/v1/batches", "", 503, false},
		{"POST", "/api/v1/admin/datasets/x/activate", "", 404, false},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := do(t, tc.method, ts.URL+tc.path, tc.body)
			require.Equal(t, tc.status, r.Status, "body %s", r.Body)
			h := r.Header
			assert.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
			assert.Equal(t, "strict-origin-when-cross-origin", h.Get("Referrer-Policy"))
			assert.Equal(t, "DENY", h.Get("X-Frame-Options"))
			assert.Equal(t, "same-origin", h.Get("Cross-Origin-Opener-Policy"))
			assert.Equal(t, "same-origin", h.Get("Cross-Origin-Resource-Policy"))
			assert.Contains(t, h.Get("Permissions-Policy"), "geolocation=()")
			csp := h.Get("Content-Security-Policy")
			assert.Contains(t, csp, "frame-ancestors 'none'")
			assert.NotContains(t, csp, "unsafe-inline")
			assert.NotContains(t, csp, "unsafe-eval")
			if tc.page {
				assert.Equal(t, "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "+
					"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'", csp)
			} else {
				assert.True(t, strings.HasPrefix(csp, "default-src 'none'"), "CSP %q", csp)
			}
			assert.Empty(t, h.Get("Access-Control-Allow-Origin"), "no CORS without an allow-list")
		})
	}
}

// The basemap's origin joins img-src; {s} in the first host label becomes
// CSP's "*." wildcard, and a template CSP cannot express allows nothing.
func TestTilesSource(t *testing.T) {
	cases := []struct{ tmpl, want string }{
		{"", ""},
		{"/tiles/{z}/{x}/{y}.png", ""}, // this origin: 'self' covers it
		{"https://t{s}.tianditu.gov.cn/vec_w/wmts?tk=KEY&x={x}&y={y}&l={z}", "https://*.tianditu.gov.cn"},
		{"http://127.0.0.1:8081/{z}/{x}/{y}.png", "http://127.0.0.1:8081"},
		{"https://{s}.tile.example.cn/{z}/{x}/{y}.png", "https://*.tile.example.cn"},
		{"https://tiles.{s}.example.cn/{z}/{x}/{y}.png", ""}, // wildcard only on the leftmost label
		{"ftp://tiles.example.cn/{z}/{x}/{y}", ""},
		{"//t{s}.tianditu.gov.cn/img_w/wmts?x={x}&y={y}&l={z}", "*.tianditu.gov.cn"},
		{"https://user:pw@tiles.example.cn/{z}/{x}/{y}", "https://tiles.example.cn"},
		{"https://tiles.example.cn'; script-src *; x/{z}", ""},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tilesSource(tc.tmpl), "tilesSource(%q)", tc.tmpl)
	}
	csp := pageCSPFor("https://t{s}.tianditu.gov.cn/vec_w/wmts?x={x}&y={y}&l={z}")
	assert.Contains(t, csp, "img-src 'self' data: https://*.tianditu.gov.cn;")
}

// The embedded pages hold no inline script, inline style, style
// attribute, event-handler attribute or javascript: URL, which the page
// CSP would block.
func TestPagesNeedNoInlineCode(t *testing.T) {
	inline := []*regexp.Regexp{
		regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]`), // a script element with content
		regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>`),        // checked below for src
		regexp.MustCompile(`(?i)<style`),
		regexp.MustCompile(`(?i)\sstyle\s*=`),
		regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		regexp.MustCompile(`(?i)javascript:`),
	}
	for _, name := range []string{"page/index.html", "page/report.html", "page/batch.html"} {
		b, err := fs.ReadFile(page, name)
		require.NoError(t, err)
		s := string(b)
		assert.NotRegexp(t, inline[0], s, name)
		for _, tag := range inline[1].FindAllString(s, -1) {
			assert.Contains(t, tag, ` src="/`, "%s: script without a same-origin src: %s", name, tag)
		}
		for _, re := range inline[2:] {
			assert.NotRegexp(t, re, s, name)
		}
	}
}

func TestNormalizeOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://gis.example.cn":       "https://gis.example.cn",
		"HTTPS://GIS.Example.CN/":      "https://gis.example.cn",
		" http://127.0.0.1:8080 ":      "http://127.0.0.1:8080",
		"http://[::1]:9000":            "http://[::1]:9000",
		"https://gis.example.cn:443":   "https://gis.example.cn",
		"http://gis.example.cn:80/":    "http://gis.example.cn",
		"http://gis.example.cn:443":    "http://gis.example.cn:443",
		"*":                            "",
		"gis.example.cn":               "",
		"https://gis.example.cn/app":   "",
		"https://gis.example.cn?x=1":   "",
		"ftp://gis.example.cn":         "",
		"https://u:p@gis.example.cn":   "",
		"https://":                     "",
		"null":                         "",
		"https://gis.example.cn/#frag": "",
	} {
		got, err := NormalizeOrigin(in)
		if want == "" {
			assert.Error(t, err, "NormalizeOrigin(%q) = %q", in, got)
			continue
		}
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
}

// CORS: an allowed origin gets its origin echoed (never credentials), any
// other gets no CORS header; preflights are 204 or 403 cors_forbidden;
// the admin API is never cross-origin.
func TestCORS(t *testing.T) {
	const good, evil = "https://gis.example.cn", "https://evil.example"
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{CORSOrigins: []string{"https://GIS.example.cn/"}, AdminToken: "0123456789abcdef0123"}, testLogger(t)))

	t.Run("allowed origin", func(t *testing.T) {
		r := do(t, "GET", ts.URL+"/api/v1/layers", "", "Origin", good)
		require.Equal(t, 200, r.Status)
		assert.Equal(t, good, r.Header.Get("Access-Control-Allow-Origin"))
		assert.Contains(t, r.Header.Values("Vary"), "Origin")
		assert.Contains(t, r.Header.Get("Access-Control-Expose-Headers"), "X-Request-ID")
		assert.Empty(t, r.Header.Get("Access-Control-Allow-Credentials"))
	})
	t.Run("other origin", func(t *testing.T) {
		r := do(t, "GET", ts.URL+"/api/v1/layers", "", "Origin", evil)
		require.Equal(t, 200, r.Status, "a simple request is answered; the browser withholds it")
		assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
		assert.Contains(t, r.Header.Values("Vary"), "Origin")
	})
	t.Run("no origin", func(t *testing.T) {
		r := do(t, "GET", ts.URL+"/api/v1/layers", "")
		assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
		assert.Contains(t, r.Header.Values("Vary"), "Origin")
	})
	t.Run("preflight allowed", func(t *testing.T) {
		r := do(t, "OPTIONS", ts.URL+"/api/v1/check", "", "Origin", good, "Access-Control-Request-Method", "POST",
			"Access-Control-Request-Headers", "content-type")
		require.Equal(t, http.StatusNoContent, r.Status, "body %s", r.Body)
		assert.Equal(t, good, r.Header.Get("Access-Control-Allow-Origin"))
		assert.Equal(t, "GET, POST, DELETE", r.Header.Get("Access-Control-Allow-Methods"))
		assert.Equal(t, "Content-Type, Authorization, X-Request-ID", r.Header.Get("Access-Control-Allow-Headers"))
		assert.Equal(t, "600", r.Header.Get("Access-Control-Max-Age"))
		assert.Empty(t, r.Body)
	})
	t.Run("preflight refused", func(t *testing.T) {
		r := do(t, "OPTIONS", ts.URL+"/api/v1/check", "", "Origin", evil, "Access-Control-Request-Method", "POST")
		require.Equal(t, http.StatusForbidden, r.Status)
		e := errorOf(t, r)
		assert.Equal(t, CodeCORSForbidden, e.Code)
		assert.Contains(t, e.Message, "不在允许列表中")
		assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
	})
	t.Run("admin preflight refused even for an allowed origin", func(t *testing.T) {
		r := do(t, "OPTIONS", ts.URL+"/api/v1/admin/datasets/v1/activate", "", "Origin", good,
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization")
		require.Equal(t, http.StatusForbidden, r.Status)
		assert.Equal(t, CodeCORSForbidden, errorOf(t, r).Code)
		assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
		r = do(t, "POST", ts.URL+"/api/v1/admin/datasets/v1/activate", "", "Origin", good)
		assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
	})
	t.Run("OPTIONS without preflight headers is not CORS", func(t *testing.T) {
		r := do(t, "OPTIONS", ts.URL+"/api/v1/check", "")
		assert.Equal(t, http.StatusMethodNotAllowed, r.Status)
	})

	none := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	t.Run("no allow-list: same-origin only", func(t *testing.T) {
		r := do(t, "GET", none.URL+"/api/v1/layers", "", "Origin", good)
		assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
		assert.Empty(t, r.Header.Values("Vary"))
		r = do(t, "OPTIONS", none.URL+"/api/v1/check", "", "Origin", good, "Access-Control-Request-Method", "POST")
		assert.Equal(t, http.StatusForbidden, r.Status)
		assert.Equal(t, CodeCORSForbidden, errorOf(t, r).Code)
	})
}

// Over the limit a client gets 429 rate_limited with Retry-After; probes
// are exempt; each client IP has its own bucket, and X-Forwarded-For
// names the client only when it comes from a trusted proxy.
func TestRateLimit(t *testing.T) {
	// 0.1 request/s: a token comes back every 10 s, so the test's own
	// pace cannot refill the bucket.
	cfg := Config{RateLimit: 0.1, RateBurst: 3}
	ts := newTestServer(t, New(staticSource{testDataset(t)}, cfg, testLogger(t)))
	for i := range 3 {
		r := do(t, "GET", ts.URL+"/api/v1/layers", "")
		require.Equal(t, 200, r.Status, "request %d within the burst", i+1)
	}
	r := do(t, "GET", ts.URL+"/api/v1/layers", "")
	require.Equal(t, http.StatusTooManyRequests, r.Status)
	e := errorOf(t, r)
	assert.Equal(t, CodeRateLimited, e.Code)
	assert.Contains(t, e.Message, "请求过于频繁")
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After %q", r.Header.Get("Retry-After"))
	assert.True(t, ra >= 1 && ra <= 10, "Retry-After %d s", ra)
	assert.EqualValues(t, ra, e.Details["retry_after_s"])
	assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"), "a 429 has the security headers too")
	for _, p := range []string{"/healthz", "/readyz", "/metrics", "/", "/app.js", "/vendor/leaflet/leaflet.css"} {
		for range 5 {
			r := do(t, "GET", ts.URL+p, "")
			require.Equal(t, 200, r.Status, "%s is exempt", p)
		}
	}
	// Without trusted proxies a forged X-Forwarded-For is ignored: still
	// the same (limited) client.
	r = do(t, "GET", ts.URL+"/api/v1/layers", "", "X-Forwarded-For", "203.0.113.9")
	assert.Equal(t, http.StatusTooManyRequests, r.Status, "X-Forwarded-For from an untrusted peer must not name a new client")

	// Behind a trusted proxy, each forwarded client has its own bucket.
	cfg.TrustedProxies = []string{"127.0.0.1/32", "::1/128"}
	tp := newTestServer(t, New(staticSource{testDataset(t)}, cfg, testLogger(t)))
	for _, ip := range []string{"203.0.113.1", "203.0.113.2"} {
		for i := range 3 {
			r := do(t, "GET", tp.URL+"/api/v1/layers", "", "X-Forwarded-For", ip)
			require.Equal(t, 200, r.Status, "%s request %d", ip, i+1)
		}
		r := do(t, "GET", tp.URL+"/api/v1/layers", "", "X-Forwarded-For", ip)
		require.Equal(t, http.StatusTooManyRequests, r.Status, ip)
	}
}

// The client map stays bounded under a flood of distinct addresses; the
// least recently seen client is forgotten first and comes back with a
// full bucket.
func TestRateLimiterBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	rl := newRateLimiter(1, 2, 3)
	rl.now = func() time.Time { return now }
	for _, ip := range []string{"a", "a", "b", "c"} {
		ok, _ := rl.allow(ip)
		require.True(t, ok, ip)
	}
	ok, wait := rl.allow("a")
	require.False(t, ok, "a spent its burst of 2")
	assert.Equal(t, time.Second, wait, "one token a second")
	ok, _ = rl.allow("d") // evicts b, the least recently seen
	require.True(t, ok)
	assert.Equal(t, 3, rl.size())
	ok, _ = rl.allow("a")
	assert.False(t, ok, "a was seen recently and is still remembered (and limited)")
	now = now.Add(time.Second)
	ok, _ = rl.allow("a")
	assert.True(t, ok, "a token came back after a second")

	flood := newRateLimiter(10, 5, 1000)
	for i := range 100_000 {
		flood.allow(fmt.Sprintf("198.18.%d.%d", i/256, i%256))
	}
	assert.Equal(t, 1000, flood.size(), "the map is bounded")
}

func TestDefaultRateBurst(t *testing.T) {
	assert.Equal(t, 20, DefaultRateBurst(1))
	assert.Equal(t, 20, DefaultRateBurst(10))
	assert.Equal(t, 50, DefaultRateBurst(25))
	assert.Equal(t, 21, DefaultRateBurst(10.5))
}

// Every page file is served with the content type of its extension, and
// the HTML ones are pages (the page policy, above).
func TestPageFiles(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	want := map[string]string{".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
	for route, name := range pageFiles {
		r := do(t, "GET", ts.URL+route, "")
		require.Equal(t, 200, r.Status, route)
		assert.Equal(t, want[path.Ext(name)], r.Header.Get("Content-Type"), route)
		b, err := page.ReadFile(name)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(b, r.Body), "%s: the embedded file as it is", route)
		assert.Equal(t, path.Ext(name) == ".html", isPage(route), route)
	}
}
