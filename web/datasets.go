package web

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sanxian/sanxian/admission"
)

// DatasetAdmin manages the versions of a versions directory: it lists
// them, puts one in service and compares two. Package data provides the
// versions; cmd/sanxian implements this over data.Versions and the
// admission.Store the service reads. Config.Datasets nil means the
// service has one dataset (a single folder or the embedded sample):
// GET /api/v1/datasets then lists the serving one, and activation and
// diff answer 409 not_versioned.
//
// Errors should be *Error values (VersionNotFoundError,
// InvalidVersionError, DatasetInvalidError); a context error answers 504
// timeout, anything else 500. Implementations must be safe for concurrent
// use.
type DatasetAdmin interface {
	// Versions lists the versions by id, the one in service marked
	// Active.
	Versions(ctx context.Context) ([]DatasetVersion, error)
	// Activate loads, validates and indexes version id and swaps it into
	// service atomically (requests in flight finish on the dataset they
	// started with); a version that fails to load leaves the serving one
	// in place. Activations are serialised.
	Activate(ctx context.Context, id string) (admission.DatasetRef, error)
	// Diff compares version from with version to.
	Diff(ctx context.Context, from, to string) (*admission.DatasetDiff, error)
}

// DatasetVersion describes one version. No file system path is part of
// it.
type DatasetVersion struct {
	// ID names the version (its folder name); it is what activation and
	// diff take.
	ID        string `json:"id"`
	Name      string `json:"name"`
	Version   string `json:"version"`
	Published string `json:"published"`
	// Checksum is what the version's manifest declares; activation
	// verifies it.
	Checksum  string `json:"checksum"`
	Synthetic bool   `json:"synthetic"`
	// Features counts the features per layer id.
	Features map[string]int `json:"features"`
	// Active marks the version in service.
	Active bool `json:"active"`
	// Problem says why the version's files cannot be read; such a version
	// cannot be activated.
	Problem string `json:"problem,omitempty"`
}

// Dataset version and admin API error codes.
const (
	CodeAdminDisabled   = "admin_disabled"
	CodeUnauthorized    = "unauthorized"
	CodeVersionNotFound = "version_not_found"
	CodeDatasetInvalid  = "dataset_invalid"
	CodeNotVersioned    = "not_versioned"
)

// maxProblems is how many problems a dataset_invalid answer lists.
const maxProblems = 20

// VersionNotFoundError is the 404 version_not_found answer for id.
func VersionNotFoundError(id string) *Error {
	return newError(CodeVersionNotFound, fmt.Sprintf("没有版本 %q。现有版本见 GET /api/v1/datasets。", id), map[string]any{"version": id})
}

// InvalidVersionError is the 400 invalid_parameter answer for an id that
// cannot name a version (a path separator, "..", a leading dot).
func InvalidVersionError(parameter, id string) *Error {
	return newError(CodeInvalidParameter, fmt.Sprintf("版本号 %q 无效：版本号是版本目录下的文件夹名，不能含路径分隔符、“..”或以“.”开头。", id),
		map[string]any{"parameter": parameter, "version": id})
}

// DatasetInvalidError is the 422 dataset_invalid answer for version id,
// which cannot be loaded: its files are damaged or do not match their
// checksum, or it fails validation. problems lists why (the first 20 go
// to details.problems, their number to details.total); serving names the
// dataset that stays in service (nil: none, or not an activation).
func DatasetInvalidError(id string, problems []admission.Problem, serving *admission.DatasetRef) *Error {
	msg := fmt.Sprintf("版本 %s 无法加载，共 %d 个问题", id, len(problems))
	if serving != nil {
		msg += fmt.Sprintf("；服务继续使用版本 %s（%s）", serving.Version, serving.Name)
	}
	msg += "。"
	shown := problems
	if len(shown) > maxProblems {
		shown = shown[:maxProblems]
	}
	if shown == nil {
		shown = []admission.Problem{}
	}
	d := map[string]any{"version": id, "problems": shown, "total": len(problems)}
	if serving != nil {
		d["serving"] = *serving
	}
	return newError(CodeDatasetInvalid, msg, d)
}

func errNotVersioned() *Error {
	return newError(CodeNotVersioned, "服务只有一个数据集（--data 指向单个数据集目录或使用内置样例），没有可切换或比较的版本。"+
		"要管理版本，请让 --data 指向版本目录：每个子目录是一个版本，ACTIVE 文件写明启用的版本。", nil)
}

// datasetList is the answer of GET /api/v1/datasets.
type datasetList struct {
	// Versioned is false when the service has a single dataset.
	Versioned bool                  `json:"versioned"`
	Serving   *admission.DatasetRef `json:"serving"`
	Versions  []DatasetVersion      `json:"versions"`
}

// activation is the answer of POST /api/v1/admin/datasets/{version}/activate.
type activation struct {
	ID      string               `json:"id"`
	Dataset admission.DatasetRef `json:"dataset"`
	Message string               `json:"message"`
}

// datasetDiff is the answer of GET /api/v1/datasets/diff.
type datasetDiff struct {
	FromID string `json:"from_id"`
	ToID   string `json:"to_id"`
	*admission.DatasetDiff
}

// listDatasets answers GET /api/v1/datasets. The dataset in service is
// read once, so that serving and a single dataset's entry agree.
func (s *Server) listDatasets(c *gin.Context) {
	cur := s.src.Current()
	var serving *admission.DatasetRef
	if cur != nil {
		ref := cur.Ref()
		serving = &ref
	}
	if s.cfg.Datasets == nil {
		d := cur
		if d == nil {
			s.fail(c, errNoDataset())
			return
		}
		info := d.Info()
		counts := make(map[string]int, len(d.Layers()))
		for _, l := range d.Layers() {
			counts[l.ID] = len(l.Features)
		}
		c.JSON(http.StatusOK, datasetList{Serving: serving, Versions: []DatasetVersion{{
			ID: info.Version, Name: info.Name, Version: info.Version, Published: info.Published, Checksum: info.Checksum,
			Synthetic: info.Synthetic, Features: counts, Active: true,
		}}})
		return
	}
	vs, err := s.cfg.Datasets.Versions(c.Request.Context())
	if err != nil {
		s.fail(c, s.adminError(c, err))
		return
	}
	if vs == nil {
		vs = []DatasetVersion{}
	}
	for i := range vs {
		if vs[i].Features == nil {
			vs[i].Features = map[string]int{}
		}
	}
	c.JSON(http.StatusOK, datasetList{Versioned: true, Serving: serving, Versions: vs})
}

// diffDatasets answers GET /api/v1/datasets/diff?from=&to=.
func (s *Server) diffDatasets(c *gin.Context) {
	from, to := strings.TrimSpace(c.Query("from")), strings.TrimSpace(c.Query("to"))
	for _, p := range []struct{ name, v string }{{"from", from}, {"to", to}} {
		if p.v == "" {
			s.fail(c, newError(CodeInvalidParameter, fmt.Sprintf("缺少参数 %s：应给出两个版本号，如 ?from=2020&to=2023。", p.name), map[string]any{"parameter": p.name}))
			return
		}
	}
	if s.cfg.Datasets == nil {
		s.fail(c, errNotVersioned())
		return
	}
	d, err := s.cfg.Datasets.Diff(c.Request.Context(), from, to)
	if err != nil {
		s.fail(c, s.adminError(c, err))
		return
	}
	c.JSON(http.StatusOK, datasetDiff{FromID: from, ToID: to, DatasetDiff: d})
}

// activateDataset answers POST /api/v1/admin/datasets/{version}/activate
// (behind requireAdmin).
func (s *Server) activateDataset(c *gin.Context) {
	if s.cfg.Datasets == nil {
		s.fail(c, errNotVersioned())
		return
	}
	// Loading a large version may outlast the server's WriteTimeout; the
	// request's context still bounds the wait for another activation.
	s.extendDeadlines(c, false)
	id := c.Param("version")
	ref, err := s.cfg.Datasets.Activate(c.Request.Context(), id)
	if err != nil {
		s.fail(c, s.adminError(c, err))
		return
	}
	c.JSON(http.StatusOK, activation{ID: id, Dataset: ref,
		Message: fmt.Sprintf("已启用版本 %s：%s %s（%s），此后的请求都用它作答。", id, ref.Name, ref.Version, ref.Checksum)})
}

// adminError maps a DatasetAdmin failure: *Error as is, a deadline to
// 504 timeout, anything else to 500 (logged by fail).
func (s *Server) adminError(c *gin.Context, err error) error {
	if _, ok := asAPIError(err); ok {
		return err
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return newError(CodeTimeout, fmt.Sprintf("操作超过时限 %s 未完成；加载中的版本仍会完成，请稍后查看 GET /api/v1/datasets。", s.cfg.RequestTimeout),
			map[string]any{"timeout_ms": s.cfg.RequestTimeout.Milliseconds()})
	}
	return err
}

// requireAdmin guards the admin routes: 404 admin_disabled when no token
// is configured, 401 unauthorized (with WWW-Authenticate: Bearer) unless
// the request carries "Authorization: Bearer <token>". Tokens are
// compared in constant time (as SHA-256 digests, so their length does not
// leak either) and never logged.
func (s *Server) requireAdmin(c *gin.Context) {
	if s.cfg.AdminToken == "" {
		s.fail(c, newError(CodeAdminDisabled, "管理接口未启用：服务启动时没有配置管理令牌（--admin-token、--admin-token-file 或环境变量 SANXIAN_ADMIN_TOKEN）。", nil))
		return
	}
	scheme, token, _ := strings.Cut(strings.TrimSpace(c.GetHeader("Authorization")), " ")
	got, want := sha256.Sum256([]byte(strings.TrimSpace(token))), sha256.Sum256([]byte(s.cfg.AdminToken))
	if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="sanxian-admin"`)
		s.fail(c, newError(CodeUnauthorized, "需要管理令牌：请求头应为 Authorization: Bearer <令牌>；令牌缺失或不正确。", nil))
		return
	}
	c.Next()
}
