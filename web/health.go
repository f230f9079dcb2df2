package web

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

//go:embed openapi.json
var openapiJSON []byte

// OpenAPI returns the embedded OpenAPI 3.0 document served at
// /api/openapi.json. Callers must not modify it.
func OpenAPI() []byte { return openapiJSON }

func (s *Server) openapi(c *gin.Context) {
	c.Data(http.StatusOK, "application/json; charset=utf-8", openapiJSON)
}

// healthz says the process is alive; it does not look at the dataset.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz is 200 with the dataset's identity when one is in service, 503
// dataset_unavailable otherwise.
func (s *Server) readyz(c *gin.Context) {
	d, ok := s.current(c)
	if !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "dataset": d.Ref()})
}
