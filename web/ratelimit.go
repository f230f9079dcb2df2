package web

import (
	"container/list"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// DefaultRateClients bounds the clients the rate limiter remembers.
const DefaultRateClients = 10_000

// minDefaultBurst is the smallest default burst: opening the map page
// fetches about ten API answers at once (layers, dataset, industries).
const minDefaultBurst = 20

// DefaultRateBurst is the burst for a rate of r requests per second when
// none is configured: twice the rate, at least 20.
func DefaultRateBurst(r float64) int {
	return max(minDefaultBurst, int(math.Ceil(2*r)))
}

// rateLimiter is a token bucket per client IP (golang.org/x/time/rate),
// in a map bounded to max clients. When the map is full, the least
// recently seen client is forgotten; a forgotten client starts again
// with a full bucket, so a flood of distinct addresses costs bounded
// memory and can at worst give a forgotten client one more burst. Safe
// for concurrent use.
type rateLimiter struct {
	limit rate.Limit
	burst int
	max   int
	now   func() time.Time

	mu      sync.Mutex
	clients map[string]*list.Element // of *rateClient
	lru     list.List                // front: most recently seen
}

type rateClient struct {
	ip  string
	lim *rate.Limiter
}

func newRateLimiter(perSecond float64, burst, maxClients int) *rateLimiter {
	if burst <= 0 {
		burst = DefaultRateBurst(perSecond)
	}
	if maxClients <= 0 {
		maxClients = DefaultRateClients
	}
	return &rateLimiter{limit: rate.Limit(perSecond), burst: burst, max: maxClients, now: time.Now,
		clients: make(map[string]*list.Element)}
}

// allow takes a token for ip. When there is none, it returns false and
// how long until there is.
func (rl *rateLimiter) allow(ip string) (bool, time.Duration) {
	now := rl.now()
	rl.mu.Lock()
	var lim *rate.Limiter
	if e, ok := rl.clients[ip]; ok {
		rl.lru.MoveToFront(e)
		lim = e.Value.(*rateClient).lim
	} else {
		for len(rl.clients) >= rl.max {
			old := rl.lru.Back()
			rl.lru.Remove(old)
			delete(rl.clients, old.Value.(*rateClient).ip)
		}
		lim = rate.NewLimiter(rl.limit, rl.burst)
		rl.clients[ip] = rl.lru.PushFront(&rateClient{ip: ip, lim: lim})
	}
	rl.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// size is how many clients are remembered.
func (rl *rateLimiter) size() int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return len(rl.clients)
}

// rateExempt are paths never rate limited: the probes, the metrics, and
// the embedded page files (cheap, and a page load asks for several at
// once).
func rateExempt(p string) bool {
	switch p {
	case "/healthz", "/readyz", "/metrics", "/", "/batch":
		return true
	}
	return pageFiles[p] != "" || strings.HasPrefix(p, "/vendor/")
}

// rateLimit answers 429 rate_limited, with Retry-After in whole seconds,
// to a client (by Gin's ClientIP: the connection's address unless it
// comes from a trusted proxy) that is over Config.RateLimit. Off when
// RateLimit is 0.
func (s *Server) rateLimit(c *gin.Context) {
	if s.limiter == nil || c.Request.Method == http.MethodOptions || rateExempt(c.Request.URL.Path) {
		c.Next()
		return
	}
	ok, wait := s.limiter.allow(c.ClientIP())
	if ok {
		c.Next()
		return
	}
	secs := int(math.Ceil(wait.Seconds()))
	secs = max(secs, 1)
	c.Header("Retry-After", strconv.Itoa(secs))
	s.fail(c, newError(CodeRateLimited,
		fmt.Sprintf("请求过于频繁：每个客户端每秒最多 %s 次（可短时连续 %d 次），请 %d 秒后重试。",
			strconv.FormatFloat(s.cfg.RateLimit, 'g', -1, 64), s.limiter.burst, secs),
		map[string]any{"retry_after_s": secs, "limit_per_s": s.cfg.RateLimit, "burst": s.limiter.burst}))
}
