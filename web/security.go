package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// Error codes of the security middleware.
const (
	// CodeCORSForbidden: a CORS preflight from an origin that is not on
	// the allow-list (or for an admin route), 403.
	CodeCORSForbidden = "cors_forbidden"
	// CodeRateLimited: the client went over --rate-limit, 429 with
	// Retry-After.
	CodeRateLimited = "rate_limited"
)

// pageCSPFor is the Content-Security-Policy of the HTML pages: scripts,
// styles, fonts and XHR from this origin only (no inline script or style,
// no eval), images from this origin, data: URLs (Leaflet's blank tile)
// and the basemap's origin when one is configured; no plugins, no <base>,
// forms post here, and no page may frame it.
func pageCSPFor(tilesURL string) string {
	img := "'self' data:"
	if src := tilesSource(tilesURL); src != "" {
		img += " " + src
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src " + img,
		"font-src 'self'",
		"connect-src 'self'",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

// apiCSP is the Content-Security-Policy of every other answer (JSON,
// scripts, downloads): a response opened as a document may load nothing
// and run nothing.
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// tilesSource is the CSP host source of a tile URL template: its scheme
// and host, a host label holding {s} (or any other placeholder) replaced
// by the wildcard "*." that CSP allows on the leftmost label only. ""
// for a template on this origin (a path) or one that cannot be parsed. A
// scheme-relative template ("//host/…") gives the bare host, which CSP
// matches with the page's own scheme.
func tilesSource(tmpl string) string {
	if strings.HasPrefix(tmpl, "//") {
		tmpl = "scheme-relative:" + tmpl // the page's own scheme
	}
	if tmpl == "" || !strings.Contains(tmpl, "://") {
		return ""
	}
	scheme, rest, _ := strings.Cut(tmpl, "://")
	host := rest
	if i := strings.IndexAny(host, "/?#"); i >= 0 {
		host = host[:i]
	}
	if at := strings.LastIndexByte(host, '@'); at >= 0 {
		host = host[at+1:]
	}
	labels := strings.Split(host, ".")
	for i, l := range labels {
		if strings.ContainsAny(l, "{}") {
			if i != 0 {
				return "" // CSP cannot say "any label here"; nothing is allowed
			}
			labels[i] = "*"
		}
	}
	host = strings.Join(labels, ".")
	if !cspHost.MatchString(host) || (scheme != "http" && scheme != "https" && scheme != "scheme-relative") {
		return "" // nothing that could end the directive or add a source
	}
	if scheme == "scheme-relative" {
		return host // a host source without a scheme takes the page's
	}
	return scheme + "://" + host
}

// cspHost is a host[:port] that can stand in a CSP source expression.
var cspHost = regexp.MustCompile(`^(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$`)

// isPage reports whether a route answers an HTML page (and gets pageCSP):
// the map page, the 批量筛查 page and the HTML files of pageFiles.
func isPage(route string) bool {
	return route == "/" || route == "/batch" || strings.HasSuffix(pageFiles[route], ".html")
}

// securityHeaders sets the security headers on every answer, errors
// included: no MIME sniffing, the referrer cut to the origin when leaving
// the site (a basemap such as 天地图 checks the Referer against its key's
// domain list; job ids in URLs never leave), no framing, a separate
// browsing context group, no camera, microphone, geolocation or payment
// APIs, resources for this origin only, and a Content-Security-Policy:
// the strict page policy on the HTML pages, "load nothing" elsewhere.
func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()")
	if c.Request.Method == http.MethodGet && isPage(c.Request.URL.Path) {
		h.Set("Content-Security-Policy", s.pageCSP)
	} else {
		h.Set("Content-Security-Policy", apiCSP)
	}
	c.Next()
}

// CORS preflight answers: the methods and request headers a cross-origin
// caller may use, and how long the browser may cache the answer.
const (
	corsMethods       = "GET, POST, DELETE"
	corsHeaders       = "Content-Type, Authorization, X-Request-ID"
	corsExposeHeaders = "X-Request-ID, Location, Content-Disposition, Retry-After"
	corsMaxAge        = 600 // seconds
)

// NormalizeOrigin checks one entry of the CORS allow-list and returns it
// in the form browsers send in Origin: scheme://host[:port], lower case,
// without a path, a trailing slash or the scheme's default port. "*" is refused: the list names
// origins.
func NormalizeOrigin(o string) (string, error) {
	o = strings.TrimSpace(o)
	u, err := url.Parse(o)
	if o == "*" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q 不是来源（应为 scheme://主机[:端口]，如 https://gis.example.cn，不含路径，不能用 *）", o)
	}
	host := strings.ToLower(u.Host)
	// Browsers leave the default port out of Origin.
	if u.Scheme == "https" {
		host = strings.TrimSuffix(host, ":443")
	} else {
		host = strings.TrimSuffix(host, ":80")
	}
	return strings.ToLower(u.Scheme) + "://" + host, nil
}

// isAdminPath reports whether p is under the admin API, which is never
// CORS-enabled.
func isAdminPath(p string) bool { return strings.HasPrefix(p, "/api/v1/admin/") }

// cors applies the CORS allow-list (Config.CORSOrigins). A request from
// an allowed origin gets Access-Control-Allow-Origin echoing it (never
// with credentials); one from any other origin gets no CORS headers, so
// the browser keeps the answer from the calling page (same-origin
// requests are unaffected: they need no CORS headers). A preflight
// (OPTIONS with Access-Control-Request-Method) is answered here: 204 with
// the allowed methods and headers for an allowed origin, 403
// cors_forbidden for any other, and for the admin API whatever the
// origin. With an allow-list, every answer varies on Origin.
func (s *Server) cors(c *gin.Context) {
	if len(s.corsOrigins) > 0 {
		c.Writer.Header().Add("Vary", "Origin")
	}
	origin := c.GetHeader("Origin")
	if origin == "" {
		c.Next()
		return
	}
	allowed := s.corsOrigins[strings.ToLower(origin)] && !isAdminPath(c.Request.URL.Path)
	preflight := c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != ""
	if preflight {
		if !allowed {
			msg := fmt.Sprintf("跨域请求被拒绝：来源 %s 不在允许列表中（服务以 --cors-origins 配置）。", clip(origin, 200))
			if isAdminPath(c.Request.URL.Path) {
				msg = "跨域请求被拒绝：管理接口不接受跨域调用。"
			}
			s.fail(c, newError(CodeCORSForbidden, msg, map[string]any{"origin": clip(origin, 200)}))
			return
		}
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", corsMethods)
		h.Set("Access-Control-Allow-Headers", corsHeaders)
		h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	if allowed {
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	}
	c.Next()
}

// clip cuts s to at most n bytes on a rune boundary, for echoing client
// input in a message.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
