package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-ID"

const requestIDKey = "sanxian.request_id"

// saneRequestID accepts 1–128 characters of [A-Za-z0-9._:-], so that a
// client's id can be logged and echoed without escaping.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			ch == '.' || ch == '_' || ch == ':' || ch == '-'
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return hex.EncodeToString(b[:])
}

// requestID takes a sane X-Request-ID from the client or makes one, and
// echoes it in the response.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader(RequestIDHeader)
	if !saneRequestID(id) {
		id = newRequestID()
	}
	c.Set(requestIDKey, id)
	c.Header(RequestIDHeader, id)
	c.Next()
}

func requestIDOf(c *gin.Context) string { return c.GetString(requestIDKey) }

// routeOf is the route template for logs and metrics; unmatched requests
// share one label so that scanners cannot blow up the metric cardinality.
func routeOf(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// observe writes the access log and the request metrics.
func (s *Server) observe(c *gin.Context) {
	start := time.Now()
	c.Next()
	dur := time.Since(start)
	status := c.Writer.Status()
	route := routeOf(c)
	s.metrics.observe(c.Request.Method, route, status, dur)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	s.log.LogAttrs(context.Background(), level, "request",
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Float64("duration_ms", float64(dur.Microseconds())/1000),
		slog.Int("bytes", c.Writer.Size()),
		slog.String("request_id", requestIDOf(c)),
		slog.String("remote", c.ClientIP()),
	)
}

// recoverPanic turns a panic into a 500 internal_error body; the stack
// goes to the log, never to the client. http.ErrAbortHandler is re-raised
// so that net/http aborts the response as intended.
func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		v := recover()
		if v == nil {
			return
		}
		if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
			panic(v)
		}
		s.log.LogAttrs(context.Background(), slog.LevelError, "panic",
			slog.String("request_id", requestIDOf(c)),
			slog.String("route", routeOf(c)),
			slog.String("panic", fmt.Sprint(v)),
			slog.String("stack", string(debug.Stack())),
		)
		if c.Writer.Written() {
			c.Abort()
			return
		}
		c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody{Error: newError(CodeInternal,
			"服务内部错误，请稍后重试；如持续出现请提供请求编号（X-Request-ID）联系维护人员。", nil)})
	}()
	c.Next()
}

// limitBody caps the request body at MaxBodyBytes; reading past it fails
// with *http.MaxBytesError, answered 413 body_too_large. A batch upload
// is exempt: it has its own limit, Batches.MaxUploadBytes (413
// upload_too_large).
func (s *Server) limitBody(c *gin.Context) {
	if isUploadRoute(c) {
		c.Next()
		return
	}
	if c.Request.ContentLength > s.cfg.MaxBodyBytes {
		s.fail(c, errBodyTooLarge(s.cfg.MaxBodyBytes))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes)
	c.Next()
}

func errBodyTooLarge(limit int64) *Error {
	return newError(CodeBodyTooLarge, fmt.Sprintf("请求体超过上限 %s，请简化几何或分批提交。", humanBytes(limit)),
		map[string]any{"max_bytes": limit})
}

// timeout bounds the request's context by RequestTimeout, or by
// BatchTimeout for a batch upload and a result download (their handlers
// also extend the connection's deadlines). The context bounds the
// handler's work, including a response it streams.
func (s *Server) timeout(c *gin.Context) {
	d := s.cfg.RequestTimeout
	if isLongRoute(c) {
		d = s.cfg.BatchTimeout
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), d)
	defer cancel()
	c.Request = c.Request.WithContext(ctx)
	c.Next()
}

func (s *Server) noRoute(c *gin.Context) {
	s.fail(c, newError(CodeRouteNotFound, fmt.Sprintf("没有这个接口：%s %s。接口说明见 /api/openapi.json。", c.Request.Method, c.Request.URL.Path),
		map[string]any{"path": c.Request.URL.Path}))
}

func (s *Server) noMethod(c *gin.Context) {
	s.fail(c, newError(CodeMethodNotAllowed, fmt.Sprintf("接口 %s 不支持 %s 方法。", c.Request.URL.Path, c.Request.Method),
		map[string]any{"method": c.Request.Method}))
}

// humanBytes writes a size as people read it: "10 MB", "4 KB", "512 字节".
func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d 字节", n)
}
