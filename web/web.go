// Package web is sanxian's HTTP transport: a Gin service that answers
// siting checks, lists layers and serves their features as GeoJSON, with
// health and readiness probes, Prometheus metrics and an embedded OpenAPI
// document. It talks to the domain through DatasetSource and never reads
// files itself.
package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sanxian/sanxian/admission"
)

// DatasetSource gives the dataset in service; admission.Store is one.
// Current returns nil while nothing is loaded: the service then answers
// 503 dataset_unavailable on data routes and /readyz.
type DatasetSource interface {
	Current() *admission.Dataset
}

// Config tunes the service. Zero fields take the defaults below.
type Config struct {
	// MaxBodyBytes bounds request bodies; larger ones get 413
	// body_too_large. Default 10 MiB.
	MaxBodyBytes int64
	// MaxVertices bounds the positions of a site geometry; more gives 422
	// too_many_vertices. Default 100,000.
	MaxVertices int
	// RequestTimeout bounds the work on one request; a check that runs
	// longer gets 504 timeout. Default 10 s.
	RequestTimeout time.Duration
	// MaxBufferM is the largest buffer_m a check may ask for; larger gives
	// 400 invalid_parameter. Default 50,000 m.
	MaxBufferM float64
	// Sites reads uploaded site files and typed coordinates for POST
	// /api/v1/sites/parse. Nil: WKT and bare GeoJSON geometries only.
	Sites SiteParser
	// TilesURL is a Leaflet tile URL template ({z}/{x}/{y}, optional {s})
	// for a basemap under the overlays, handed to the map page in a
	// <meta name="sanxian-tiles">. Empty: no basemap (works offline). The
	// tiles must be CGCS2000/WGS84 aligned (天地图, an internal server);
	// GCJ-02 basemaps (高德, 腾讯) are offset by hundreds of metres.
	TilesURL string
	// TilesAttribution is shown in the map's attribution control when
	// TilesURL is set (plain text).
	TilesAttribution string
	// Batches enables 批量筛查 (/api/v1/batches…); nil answers those
	// routes 503 batch_disabled. The page /batch is served either way.
	Batches *Batches
	// BatchTimeout replaces RequestTimeout for a batch upload (reading,
	// parsing and storing the list) and a result download, and extends
	// the connection's read and write deadlines to match. Default 5
	// minutes.
	BatchTimeout time.Duration
	// Datasets manages the dataset versions (GET /api/v1/datasets, the
	// diff and activation); nil when the service has a single dataset.
	Datasets DatasetAdmin
	// AdminToken guards /api/v1/admin/… (Authorization: Bearer <token>);
	// empty answers those routes 404 admin_disabled. Never logged.
	AdminToken string
	// CORSOrigins is the CORS allow-list: origins (scheme://host[:port],
	// see NormalizeOrigin) whose pages may call the API. Empty: no CORS
	// headers at all (same-origin only), and every preflight gets 403
	// cors_forbidden. The admin API is never CORS-enabled.
	CORSOrigins []string
	// RateLimit is the requests per second allowed to one client IP (a
	// token bucket); over it a request gets 429 rate_limited with
	// Retry-After. 0: no limit. /healthz, /readyz, /metrics and the page
	// files are exempt.
	RateLimit float64
	// RateBurst is the bucket size (requests one client may send at
	// once). 0: DefaultRateBurst(RateLimit).
	RateBurst int
	// RateClients bounds the clients the limiter remembers (the least
	// recently seen is forgotten first). 0: DefaultRateClients.
	RateClients int
	// TrustedProxies are the addresses or CIDR ranges of reverse proxies
	// whose X-Forwarded-For / X-Real-IP name the client (for the rate
	// limit and the access log). Empty: trust none; the client is the
	// connection's address. Entries that do not parse are reported by
	// New's error log and the list then trusts none.
	TrustedProxies []string
	// Reports records every check under a report id (报告编号) before
	// answering it, and serves GET /api/v1/reports/{id}; nil: checks carry
	// no report_id (see reports.go).
	Reports *Reports
}

// Defaults.
const (
	DefaultMaxBodyBytes   = 10 << 20
	DefaultMaxVertices    = 100_000
	DefaultRequestTimeout = 10 * time.Second
	DefaultMaxBufferM     = 50_000
)

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxVertices <= 0 {
		c.MaxVertices = DefaultMaxVertices
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.MaxBufferM <= 0 {
		c.MaxBufferM = DefaultMaxBufferM
	}
	if c.BatchTimeout <= 0 {
		c.BatchTimeout = DefaultBatchTimeout
	}
	if c.Batches != nil {
		c.Batches = c.Batches.withDefaults()
	}
	return c
}

// checkFunc runs one check; a seam for tests.
type checkFunc func(ctx context.Context, d *admission.Dataset, req admission.CheckRequest) (*admission.CheckResult, error)

// Server is the HTTP service. It is an http.Handler, safe for concurrent
// use, and holds no global state: each Server has its own Gin engine and
// Prometheus registry.
type Server struct {
	src     DatasetSource
	cfg     Config
	log     *slog.Logger
	engine  *gin.Engine
	metrics *metrics
	check   checkFunc

	summaryMu sync.Mutex
	summaryOf *admission.Dataset // dataset the cached summary belongs to
	summary   []LayerSummary

	rowErrs rowErrorCache

	pageCSP       string          // Content-Security-Policy of the HTML pages
	corsOrigins   map[string]bool // normalised CORS allow-list
	limiter       *rateLimiter    // nil: no rate limit
	reportMetrics *reportMetrics
}

// New builds the service over src. A nil logger discards logs. New puts
// Gin in release mode (a process-wide Gin setting).
func New(src DatasetSource, cfg Config, logger *slog.Logger) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	gin.SetMode(gin.ReleaseMode)
	s := &Server{
		src: src,
		cfg: cfg.withDefaults(),
		log: logger,
		check: func(ctx context.Context, d *admission.Dataset, req admission.CheckRequest) (*admission.CheckResult, error) {
			return d.Check(ctx, req)
		},
	}
	s.pageCSP = pageCSPFor(s.cfg.TilesURL)
	s.corsOrigins = map[string]bool{}
	for _, o := range s.cfg.CORSOrigins {
		if n, err := NormalizeOrigin(o); err == nil {
			s.corsOrigins[n] = true
		} else {
			logger.Error("CORS allow-list entry ignored", slog.String("error", err.Error()))
		}
	}
	if s.cfg.RateLimit > 0 {
		s.limiter = newRateLimiter(s.cfg.RateLimit, s.cfg.RateBurst, s.cfg.RateClients)
	}
	s.metrics = newMetrics(src)
	s.reportMetrics = newReportMetrics(s.metrics.reg)
	s.engine = s.routes()
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

// Registry returns the server's Prometheus registry (what /metrics shows),
// for adding process-specific collectors.
func (s *Server) Registry() *prometheus.Registry { return s.metrics.reg }

func (s *Server) routes() *gin.Engine {
	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.ContextWithFallback = true
	if err := e.SetTrustedProxies(s.cfg.TrustedProxies); err != nil {
		s.log.Error("trusted proxies ignored: trusting none", slog.String("error", err.Error()))
		_ = e.SetTrustedProxies(nil)
	}
	e.Use(s.requestID, s.observe, s.securityHeaders, s.cors, s.recoverPanic, s.rateLimit, s.limitBody, s.timeout)
	e.NoRoute(s.noRoute)
	e.NoMethod(s.noMethod)

	e.GET("/", s.index)
	e.GET("/batch", s.batchPage)
	for route := range pageFiles {
		e.GET(route, s.servePageFile)
	}
	e.GET("/vendor/*filepath", s.vendor)
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", gin.WrapH(s.metrics.handler()))
	e.GET("/api/openapi.json", s.openapi)

	v1 := e.Group("/api/v1")
	v1.POST("/check", s.postCheck)
	v1.GET("/check", s.getCheck)
	v1.POST("/sites/parse", s.parseSite)
	v1.GET("/layers", s.layers)
	v1.GET("/dataset", s.dataset)
	v1.GET("/features/:layer", s.features)
	v1.GET("/features/:layer/:id", s.feature)
	v1.GET("/industries", s.industries)
	v1.GET("/rules", s.rules)
	v1.GET("/datasets", s.listDatasets)
	v1.GET("/datasets/diff", s.diffDatasets)
	v1.POST("/admin/datasets/:version/activate", s.requireAdmin, s.activateDataset)
	v1.POST("/batches", s.createBatch)
	v1.GET("/batches", s.listBatches)
	v1.GET("/batches/template.xlsx", s.batchTemplate("xlsx"))
	v1.GET("/batches/template.csv", s.batchTemplate("csv"))
	v1.GET("/batches/:id", s.getBatch)
	v1.DELETE("/batches/:id", s.cancelBatch)
	v1.GET("/batches/:id/rows", s.batchRows)
	v1.GET("/batches/:id/result.xlsx", s.batchResult("xlsx"))
	v1.GET("/batches/:id/result.csv", s.batchResult("csv"))
	v1.GET("/batches/:id/result.geojson", s.batchResult("geojson"))
	v1.GET("/reports/:id", s.getReport)
	return e
}

// fail answers err as the one JSON error body. An *Error or a
// *geo.GeometryError is answered as is; anything else is logged and
// answered 500 internal_error with a plain message.
func (s *Server) fail(c *gin.Context, err error) {
	e, ok := asAPIError(err)
	if !ok {
		s.log.LogAttrs(c.Request.Context(), slog.LevelError, "internal error",
			slog.String("request_id", requestIDOf(c)), slog.String("error", err.Error()))
		e = newError(CodeInternal, "服务内部错误，请稍后重试；如持续出现请提供请求编号（X-Request-ID）联系维护人员。", nil)
	}
	c.AbortWithStatusJSON(e.Status(), errorBody{Error: e})
}

// current returns the dataset in service or answers 503.
func (s *Server) current(c *gin.Context) (*admission.Dataset, bool) {
	d := s.src.Current()
	if d == nil {
		s.fail(c, errNoDataset())
		return nil, false
	}
	return d, true
}

func errNoDataset() *Error {
	return newError(CodeDatasetUnavailable, "数据集尚未加载，服务暂不可用，请稍后重试。", nil)
}
