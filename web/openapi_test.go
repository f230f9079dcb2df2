package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(OpenAPI())
	require.NoError(t, err, "load openapi.json")
	return doc
}

// TestOpenAPIValid: the embedded document loads and validates.
func TestOpenAPIValid(t *testing.T) {
	doc := loadOpenAPI(t)
	require.NoError(t, doc.Validate(context.Background()))
	assert.Equal(t, "3.0.3", doc.OpenAPI)
}

// ginParam matches a Gin path parameter, :name or the catch-all *name.
var ginParam = regexp.MustCompile(`[:*]([A-Za-z_]+)`)

// TestOpenAPIMatchesRoutes fails when a route is missing from the document
// or the document describes a route that does not exist.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	s := New(staticSource{nil}, Config{}, nil)
	var routes, documented []string
	for _, r := range s.engine.Routes() {
		routes = append(routes, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	for _, r := range routes {
		assert.Contains(t, documented, r, "route %s is not in openapi.json", r)
	}
	for _, d := range documented {
		assert.Contains(t, routes, d, "openapi.json describes %s, which is not a route", d)
	}
}

// TestOpenAPIErrorCodes: the error code enum is exactly the codes the
// service maps to a status.
func TestOpenAPIErrorCodes(t *testing.T) {
	doc := loadOpenAPI(t)
	enum := doc.Components.Schemas["ErrorBody"].Value.Properties["error"].Value.Properties["code"].Value.Enum
	var documented, known []string
	for _, c := range enum {
		documented = append(documented, c.(string))
	}
	for c := range statuses {
		known = append(known, c)
	}
	assert.ElementsMatch(t, known, documented)
}

// TestOpenAPIExamples: every example validates against its schema.
func TestOpenAPIExamples(t *testing.T) {
	doc := loadOpenAPI(t)
	n := 0
	visit := func(where string, schema *openapi3.SchemaRef, value any) {
		t.Helper()
		n++
		require.NotNil(t, schema, where)
		assert.NoError(t, schema.Value.VisitJSON(value), "example %s", where)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			at := method + " " + path
			for _, p := range op.Parameters {
				if p.Value.Example != nil {
					visit(at+" parameter "+p.Value.Name, p.Value.Schema, p.Value.Example)
				}
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					for name, ex := range mt.Examples {
						visit(at+" request "+ct+" "+name, mt.Schema, ex.Value.Value)
					}
				}
			}
			for code, resp := range op.Responses.Map() {
				for ct, mt := range resp.Value.Content {
					for name, ex := range mt.Examples {
						visit(at+" response "+code+" "+ct+" "+name, mt.Schema, ex.Value.Value)
					}
				}
			}
		}
	}
	assert.Greater(t, n, 30, "examples visited")
}

// TestOpenAPIRequestExamples sends every request example to a real server:
// request-body examples carry their expected status in x-status, other
// operations list requests in x-request-examples. The answer must have
// that status and match the documented response schema. The batch
// examples name the jobs of exampleBatches.
func TestOpenAPIRequestExamples(t *testing.T) {
	doc := loadOpenAPI(t)
	d := testDataset(t)
	ts := newTestServer(t, New(staticSource{d}, Config{Batches: exampleBatches(t, d), Reports: exampleReports(t, d)}, testLogger(t)))
	sent := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			// A multipart-only body (POST /api/v1/batches) has no JSON
			// examples; batch_test.go sends real uploads.
			if mt := op.RequestBody; mt != nil && mt.Value.Content["application/json"] != nil {
				for name, ex := range mt.Value.Content["application/json"].Examples {
					status, ok := ex.Value.Extensions["x-status"].(float64)
					require.True(t, ok, "%s %s example %s has no x-status", method, path, name)
					body, err := json.Marshal(ex.Value.Value)
					require.NoError(t, err)
					t.Run(method+" "+path+" "+name, func(t *testing.T) {
						r := do(t, method, ts.URL+path, string(body))
						checkDocumented(t, op, r, int(status))
					})
					sent++
				}
			}
			raw, ok := op.Extensions["x-request-examples"]
			if !ok {
				require.NotNil(t, op.RequestBody, "%s %s has neither request-body examples nor x-request-examples", method, path)
				continue
			}
			for _, x := range raw.([]any) {
				ex := x.(map[string]any)
				url := path
				if params, ok := ex["path"].(map[string]any); ok {
					for k, v := range params {
						url = strings.ReplaceAll(url, "{"+k+"}", v.(string))
					}
				}
				if q, _ := ex["query"].(string); q != "" {
					url += "?" + q
				}
				status := int(ex["status"].(float64))
				t.Run(method+" "+url, func(t *testing.T) {
					r := do(t, method, ts.URL+url, "")
					checkDocumented(t, op, r, status)
				})
				sent++
			}
		}
	}
	assert.Greater(t, sent, 20)
}

func checkDocumented(t *testing.T, op *openapi3.Operation, r response, status int) {
	t.Helper()
	require.Equal(t, status, r.Status, "body %s", r.Body)
	resp := op.Responses.Status(status)
	require.NotNil(t, resp, "status %d is not documented", status)
	ct := r.Header.Get("Content-Type")
	for name, mt := range resp.Value.Content {
		if !strings.HasPrefix(ct, name) {
			continue
		}
		if name != "application/json" {
			return
		}
		var v any
		require.NoError(t, json.NewDecoder(bytes.NewReader(r.Body)).Decode(&v))
		assert.NoError(t, mt.Schema.Value.VisitJSON(v), "answer %s does not match the schema of %d", r.Body, status)
		return
	}
	t.Errorf("content type %q of status %s is not documented", ct, strconv.Itoa(status))
}

func TestOpenAPIServed(t *testing.T) {
	ts := newTestServer(t, New(staticSource{nil}, Config{}, nil))
	r := do(t, "GET", ts.URL+"/api/openapi.json", "")
	assert.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, OpenAPI(), r.Body)
}
