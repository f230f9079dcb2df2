package main

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSecurityFlags(t *testing.T) {
	cfg, err := parseServe([]string{"--cors-origins", " https://GIS.example.cn/ , http://10.0.0.5:8080,", "--rate-limit", "2.5",
		"--rate-burst", "7", "--trusted-proxies", "10.0.0.1, 192.168.0.0/16"})
	require.NoError(t, err)
	assert.Equal(t, []string{"https://gis.example.cn", "http://10.0.0.5:8080"}, cfg.Web.CORSOrigins)
	assert.Equal(t, 2.5, cfg.Web.RateLimit)
	assert.Equal(t, 7, cfg.Web.RateBurst)
	assert.Equal(t, []string{"10.0.0.1", "192.168.0.0/16"}, cfg.Web.TrustedProxies)

	cfg, err = parseServe(nil)
	require.NoError(t, err)
	assert.Empty(t, cfg.Web.CORSOrigins, "default: same-origin only")
	assert.Zero(t, cfg.Web.RateLimit, "default: no rate limit")
	assert.Empty(t, cfg.Web.TrustedProxies, "default: trust no proxy")

	t.Setenv("SANXIAN_CORS_ORIGINS", "https://a.example")
	t.Setenv("SANXIAN_RATE_LIMIT", "10")
	cfg, err = parseServe(nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"https://a.example"}, cfg.Web.CORSOrigins)
	assert.Equal(t, 10.0, cfg.Web.RateLimit)

	for _, tc := range []struct{ args []string }{
		{[]string{"--cors-origins", "*"}},
		{[]string{"--cors-origins", "gis.example.cn"}},
		{[]string{"--cors-origins", "https://gis.example.cn/app"}},
		{[]string{"--rate-limit", "-1"}},
		{[]string{"--rate-limit", "fast"}},
		{[]string{"--rate-limit", "NaN"}},
		{[]string{"--rate-burst", "-3"}},
		{[]string{"--trusted-proxies", "proxy.local"}},
		{[]string{"--trusted-proxies", "10.0.0.0/33"}},
	} {
		code, _, stderr := runCmd(t, append([]string{"serve"}, tc.args...)...)
		assert.Equal(t, 2, code, "%v", tc.args)
		assert.Contains(t, stderr, tc.args[0], "%v: the message names the flag", tc.args)
	}
}

// The real server: security headers, the CORS allow-list and the rate
// limit with their flags.
func TestServeSecurity(t *testing.T) {
	const origin = "https://gis.example.cn"
	srv := startServe(t, "--data", writeTestDataset(t), "--cors-origins", origin, "--rate-limit", "0.05", "--rate-burst", "4")
	get := func(path string, header ...string) *http.Response {
		t.Helper()
		req, err := http.NewRequest("GET", srv.base+path, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	r := get("/")
	assert.Contains(t, r.Header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
	r = get("/api/v1/layers", "Origin", origin)
	assert.Equal(t, origin, r.Header.Get("Access-Control-Allow-Origin"))
	r = get("/api/v1/layers", "Origin", "https://evil.example")
	assert.Empty(t, r.Header.Get("Access-Control-Allow-Origin"))
	for i := 3; i <= 4; i++ {
		r = get("/api/v1/layers")
		require.Equal(t, http.StatusOK, r.StatusCode, "request %d, within the burst of 4", i)
	}
	r = get("/api/v1/layers")
	require.Equal(t, http.StatusTooManyRequests, r.StatusCode)
	ra, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err)
	assert.True(t, ra >= 1 && ra <= 20, "Retry-After %d", ra)
	assert.Equal(t, http.StatusOK, get("/healthz").StatusCode, "probes are not limited")
	assert.Contains(t, srv.stderr.String(), "已按客户端限流")
}
