package web

import (
	"embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// page holds the embedded start page: a point-check form over the JSON
// API, with no third-party code. The map page replaces it.
//
//go:embed page/index.html page/app.js
var page embed.FS

func (s *Server) index(c *gin.Context) { s.pageFile(c, "page/index.html", "text/html; charset=utf-8") }

func (s *Server) appJS(c *gin.Context) {
	s.pageFile(c, "page/app.js", "text/javascript; charset=utf-8")
}

func (s *Server) pageFile(c *gin.Context, name, contentType string) {
	b, err := page.ReadFile(name)
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Data(http.StatusOK, contentType, b)
}
