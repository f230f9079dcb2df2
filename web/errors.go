package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/geo"
)

// Error codes of the API, stable for programs. Geometry validation errors
// use the geo.GeometryError codes (geo.CodeUnclosedRing, …) instead.
const (
	CodeMalformedJSON      = "malformed_json"
	CodeMalformedGeometry  = "malformed_geometry"
	CodeInvalidParameter   = "invalid_parameter"
	CodeMissingGeometry    = "missing_geometry"
	CodeBodyTooLarge       = "body_too_large"
	CodeLayerNotFound      = "layer_not_found"
	CodeFeatureNotFound    = "feature_not_found"
	CodeRouteNotFound      = "route_not_found"
	CodeMethodNotAllowed   = "method_not_allowed"
	CodeDatasetUnavailable = "dataset_unavailable"
	CodeTimeout            = "timeout"
	CodeCheckFailed        = "check_failed"
	CodeInternal           = "internal_error"
	CodeUnknownIndustry    = "unknown_industry"
)

// statuses maps every error code to its HTTP status. It is the only place
// where codes meet statuses; codes missing here (other than geometry codes)
// are a bug and answer 500.
var statuses = map[string]int{
	CodeMalformedJSON:      http.StatusBadRequest,
	CodeMalformedGeometry:  http.StatusBadRequest,
	CodeInvalidParameter:   http.StatusBadRequest,
	CodeMissingGeometry:    http.StatusBadRequest,
	CodeBodyTooLarge:       http.StatusRequestEntityTooLarge,
	CodeLayerNotFound:      http.StatusNotFound,
	CodeFeatureNotFound:    http.StatusNotFound,
	CodeRouteNotFound:      http.StatusNotFound,
	CodeMethodNotAllowed:   http.StatusMethodNotAllowed,
	CodeDatasetUnavailable: http.StatusServiceUnavailable,
	CodeTimeout:            http.StatusGatewayTimeout,
	CodeCheckFailed:        http.StatusInternalServerError,
	CodeInternal:           http.StatusInternalServerError,
	CodeUnknownIndustry:    http.StatusUnprocessableEntity,
	CodeMalformedSite:      http.StatusBadRequest,
	CodeSiteTooLarge:       http.StatusRequestEntityTooLarge,
	CodeUnsupportedCRS:     http.StatusUnprocessableEntity,

	// 批量筛查 (batch.go).
	CodeBatchDisabled:   http.StatusServiceUnavailable,
	CodeJobNotFound:     http.StatusNotFound,
	CodeUploadTooLarge:  http.StatusRequestEntityTooLarge,
	CodeTooManyRows:     http.StatusRequestEntityTooLarge,
	CodeJobNotFinished:  http.StatusConflict,
	CodeMissingFile:     http.StatusBadRequest,
	CodeUnsupportedList: http.StatusUnsupportedMediaType,
	CodeEmptyList:       http.StatusUnprocessableEntity,
	CodeNoSiteColumns:   http.StatusUnprocessableEntity,
	CodeDuplicateColumn: http.StatusUnprocessableEntity,
	CodeCorruptList:     http.StatusUnprocessableEntity,
	CodeBadEncoding:     http.StatusUnprocessableEntity,
	CodeListTooLarge:    http.StatusRequestEntityTooLarge,
	CodeStorageFull:     http.StatusInsufficientStorage,
	CodeStorageReadOnly: http.StatusServiceUnavailable,

	// Dataset versions and the admin API (datasets.go).
	CodeAdminDisabled:   http.StatusNotFound,
	CodeUnauthorized:    http.StatusUnauthorized,
	CodeVersionNotFound: http.StatusNotFound,
	CodeDatasetInvalid:  http.StatusUnprocessableEntity,
	CodeNotVersioned:    http.StatusConflict,

	// Security middleware (security.go, ratelimit.go).
	CodeCORSForbidden: http.StatusForbidden,
	CodeRateLimited:   http.StatusTooManyRequests,
	// Report ids (reports.go).
	CodeInvalidReportID: http.StatusBadRequest,
	CodeReportNotFound:  http.StatusNotFound,
	CodeReportsDisabled: http.StatusServiceUnavailable,

	// A geometry that parses but is not a valid site.
	geo.CodeEmpty:           http.StatusUnprocessableEntity,
	geo.CodeUnsupportedType: http.StatusUnprocessableEntity,
	geo.CodeOutOfRange:      http.StatusUnprocessableEntity,
	geo.CodeNotFinite:       http.StatusUnprocessableEntity,
	geo.CodeUnclosedRing:    http.StatusUnprocessableEntity,
	geo.CodeTooFewPoints:    http.StatusUnprocessableEntity,
	geo.CodeSelfIntersect:   http.StatusUnprocessableEntity,
	geo.CodeInvalidPolygon:  http.StatusUnprocessableEntity,
	geo.CodeTooManyVertices: http.StatusUnprocessableEntity,

	// A position its declared coordinate system cannot convert.
	crs.CodeOutOfZone:  http.StatusUnprocessableEntity,
	crs.CodeNoInverse:  http.StatusUnprocessableEntity,
	crs.CodeInvalidCRS: http.StatusUnprocessableEntity,
}

// StatusOf returns the HTTP status for an error code: 500 for a code it
// does not know.
func StatusOf(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is an API error: a stable Code, a Chinese Message for people and
// optional Details (which field, which ring, which coordinate). It is
// what the service answers inside {"error": …} and what ParseGeoJSON and
// ParseWKT return.
type Error struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Details map[string]any `json:"details,omitempty"`
}

func (e *Error) Error() string {
	if len(e.Details) > 0 {
		return fmt.Sprintf("web: %s: %s %v", e.Code, e.Message, e.Details)
	}
	return fmt.Sprintf("web: %s: %s", e.Code, e.Message)
}

// Status is the HTTP status the error is answered with.
func (e *Error) Status() int { return StatusOf(e.Code) }

// errorBody is the one JSON shape of every error answer.
type errorBody struct {
	Error *Error `json:"error"`
}

func newError(code, message string, details map[string]any) *Error {
	return &Error{Code: code, Message: message, Details: details}
}

// fromGeometryError turns a geometry validation failure into an API error
// with details {path, point}.
func fromGeometryError(ge *geo.GeometryError) *Error {
	d := map[string]any{}
	if ge.Path != "" {
		d["path"] = ge.Path
	}
	if ge.Point != nil {
		d["point"] = []float64{ge.Point[0], ge.Point[1]}
	}
	if len(d) == 0 {
		d = nil
	}
	return newError(ge.Code, ge.Message, d)
}

// asAPIError extracts an *Error or a *geo.GeometryError from err.
func asAPIError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	var ge *geo.GeometryError
	if errors.As(err, &ge) {
		return fromGeometryError(ge), true
	}
	return nil, false
}
