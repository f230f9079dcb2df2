package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
)

const testToken = "s3cret-令牌-0123456789"

// fakeAdmin is a DatasetAdmin over two made-up versions, 2020 (serving)
// and 2023; 2024 is damaged (25 problems); 2099 hangs until the request
// ends.
type fakeAdmin struct {
	mu        sync.Mutex
	activated []string
	serving   string
}

func (f *fakeAdmin) Versions(context.Context) ([]DatasetVersion, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []DatasetVersion{
		{ID: "2020", Name: "重庆市生态环境分区管控", Version: "2020.1", Published: "2020-12-01", Checksum: "sha256:2020", Features: map[string]int{"control_units": 785}},
		{ID: "2023", Name: "重庆市生态环境分区管控（2023 年调整）", Version: "2023.1", Published: "2023-09-30", Checksum: "sha256:2023", Features: map[string]int{"control_units": 790}},
		{ID: "2024", Name: "损坏的版本", Version: "2024.1", Published: "2024-01-01", Checksum: "sha256:2024", Problem: "layer \"control_units\": control_units.geojson.gz: gunzip: invalid header"},
	}
	for i := range out {
		out[i].Active = out[i].ID == f.serving
	}
	return out, nil
}

func (f *fakeAdmin) Activate(ctx context.Context, id string) (admission.DatasetRef, error) {
	switch id {
	case "2020", "2023":
		f.mu.Lock()
		defer f.mu.Unlock()
		f.activated = append(f.activated, id)
		f.serving = id
		return admission.DatasetRef{Name: "重庆市生态环境分区管控", Version: id + ".1", Checksum: "sha256:" + id}, nil
	case "2024":
		probs := make([]admission.Problem, 25)
		for i := range probs {
			probs[i] = admission.Problem{Layer: "control_units", Feature: fmt.Sprintf("ZH5001012%04d", i), Code: "self_intersection", Message: "多边形自相交"}
		}
		return admission.DatasetRef{}, DatasetInvalidError(id, probs, &admission.DatasetRef{Name: "重庆市生态环境分区管控", Version: "2020.1", Checksum: "sha256:2020"})
	case "2099":
		<-ctx.Done()
		return admission.DatasetRef{}, ctx.Err()
	case "..":
		return admission.DatasetRef{}, InvalidVersionError("version", id)
	case "boom":
		return admission.DatasetRef{}, fmt.Errorf("disk on fire")
	}
	return admission.DatasetRef{}, VersionNotFoundError(id)
}

func (f *fakeAdmin) Diff(_ context.Context, from, to string) (*admission.DatasetDiff, error) {
	for _, id := range []string{from, to} {
		if id != "2020" && id != "2023" {
			return nil, VersionNotFoundError(id)
		}
	}
	return &admission.DatasetDiff{
		From:   admission.DatasetRef{Name: "重庆", Version: from + ".1", Checksum: "sha256:" + from},
		To:     admission.DatasetRef{Name: "重庆", Version: to + ".1", Checksum: "sha256:" + to},
		Counts: admission.DiffCounts{FeaturesAdded: 1},
		Layers: []admission.LayerChange{}, Clauses: []admission.ClauseChange{},
		Features: []admission.FeatureChange{{Layer: "control_units", LayerTitle: "环境管控单元", ID: "ZH50010130002", Change: admission.ChangeAdded,
			After: &admission.FeatureState{Name: "万州区一般管控单元2", Category: admission.CategoryGeneral}, Summary: "新增环境管控单元 ZH50010130002。"}},
	}, nil
}

func adminServer(t *testing.T, admin DatasetAdmin, token string, log *slog.Logger) (string, *fakeAdmin) {
	t.Helper()
	f, _ := admin.(*fakeAdmin)
	if log == nil {
		log = testLogger(t)
	}
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{Datasets: admin, AdminToken: token}, log))
	return ts.URL, f
}

const activate2023 = "/api/v1/admin/datasets/2023/activate"

func TestAdminAuth(t *testing.T) {
	var logs lockedBuffer
	base, f := adminServer(t, &fakeAdmin{serving: "2020"}, testToken, slog.New(slog.NewTextHandler(&logs, nil)))
	tests := []struct {
		name   string
		header []string
		status int
		code   string
	}{
		{"no header", nil, http.StatusUnauthorized, CodeUnauthorized},
		{"wrong token", []string{"Authorization", "Bearer nope"}, http.StatusUnauthorized, CodeUnauthorized},
		{"token prefix", []string{"Authorization", "Bearer " + testToken[:10]}, http.StatusUnauthorized, CodeUnauthorized},
		{"token and more", []string{"Authorization", "Bearer " + testToken + "x"}, http.StatusUnauthorized, CodeUnauthorized},
		{"wrong scheme", []string{"Authorization", "Basic " + testToken}, http.StatusUnauthorized, CodeUnauthorized},
		{"bare token", []string{"Authorization", testToken}, http.StatusUnauthorized, CodeUnauthorized},
		{"empty bearer", []string{"Authorization", "Bearer "}, http.StatusUnauthorized, CodeUnauthorized},
		{"right token", []string{"Authorization", "Bearer " + testToken}, http.StatusOK, ""},
		{"scheme in lower case", []string{"Authorization", "bearer " + testToken}, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, "POST", base+activate2023, "", tt.header...)
			require.Equal(t, tt.status, r.Status, "body %s", r.Body)
			if tt.code == "" {
				return
			}
			e := errorOf(t, r)
			assert.Equal(t, tt.code, e.Code)
			assert.Equal(t, `Bearer realm="sanxian-admin"`, r.Header.Get("WWW-Authenticate"))
			assert.NotContains(t, string(r.Body), testToken)
		})
	}
	assert.Equal(t, []string{"2023", "2023"}, f.activated, "only authorised requests reach the admin")
	assert.NotContains(t, logs.String(), testToken, "the token is never logged")
	assert.NotContains(t, logs.String(), testToken[:10])

	t.Run("GET on the admin route is 405", func(t *testing.T) {
		r := do(t, "GET", base+activate2023, "", "Authorization", "Bearer "+testToken)
		assert.Equal(t, http.StatusMethodNotAllowed, r.Status)
	})
}

func TestAdminDisabled(t *testing.T) {
	base, f := adminServer(t, &fakeAdmin{}, "", nil)
	for _, h := range [][]string{nil, {"Authorization", "Bearer "}, {"Authorization", "Bearer anything"}} {
		r := do(t, "POST", base+activate2023, "", h...)
		require.Equal(t, http.StatusNotFound, r.Status)
		e := errorOf(t, r)
		assert.Equal(t, CodeAdminDisabled, e.Code)
		assert.Contains(t, e.Message, "管理接口未启用")
		assert.Empty(t, r.Header.Get("WWW-Authenticate"))
	}
	assert.Empty(t, f.activated)
}

func TestActivateDataset(t *testing.T) {
	base, _ := adminServer(t, &fakeAdmin{serving: "2020"}, testToken, nil)
	auth := []string{"Authorization", "Bearer " + testToken}
	activate := func(id string) response {
		return do(t, "POST", base+"/api/v1/admin/datasets/"+id+"/activate", "", auth...)
	}

	r := activate("2023")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var a activation
	require.NoError(t, json.Unmarshal(r.Body, &a))
	assert.Equal(t, "2023", a.ID)
	assert.Equal(t, "2023.1", a.Dataset.Version)
	assert.Contains(t, a.Message, "已启用版本 2023")

	r = do(t, "GET", base+"/api/v1/datasets", "")
	require.Equal(t, http.StatusOK, r.Status)
	var l datasetList
	require.NoError(t, json.Unmarshal(r.Body, &l))
	assert.True(t, l.Versioned)
	var active []string
	for _, v := range l.Versions {
		if v.Active {
			active = append(active, v.ID)
		}
	}
	assert.Equal(t, []string{"2023"}, active)
	assert.Equal(t, "test.1", l.Serving.Version, "serving is what the source holds")

	t.Run("unknown version", func(t *testing.T) {
		r := activate("1999")
		require.Equal(t, http.StatusNotFound, r.Status)
		e := errorOf(t, r)
		assert.Equal(t, CodeVersionNotFound, e.Code)
		assert.Equal(t, "1999", e.Details["version"])
	})
	t.Run("invalid version: 422 with the first 20 problems", func(t *testing.T) {
		r := activate("2024")
		require.Equal(t, http.StatusUnprocessableEntity, r.Status)
		e := errorOf(t, r)
		assert.Equal(t, CodeDatasetInvalid, e.Code)
		assert.Contains(t, e.Message, "共 25 个问题")
		assert.Contains(t, e.Message, "服务继续使用版本 2020.1")
		assert.Len(t, e.Details["problems"], 20)
		assert.EqualValues(t, 25, e.Details["total"])
	})
	t.Run("bad id", func(t *testing.T) {
		r := activate("..")
		// The client (or Go's URL cleaning) may turn /../ into another
		// path; either way no version is touched.
		assert.Contains(t, []int{http.StatusBadRequest, http.StatusNotFound}, r.Status)
	})
	t.Run("timeout", func(t *testing.T) {
		ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{Datasets: &fakeAdmin{}, AdminToken: testToken, RequestTimeout: 50 * time.Millisecond}, testLogger(t)))
		r := do(t, "POST", ts.URL+"/api/v1/admin/datasets/2099/activate", "", auth...)
		require.Equal(t, http.StatusGatewayTimeout, r.Status)
		assert.Equal(t, CodeTimeout, errorOf(t, r).Code)
	})
	t.Run("other failures are 500 with a plain message", func(t *testing.T) {
		r := activate("boom")
		require.Equal(t, http.StatusInternalServerError, r.Status)
		e := errorOf(t, r)
		assert.Equal(t, CodeInternal, e.Code)
		assert.NotContains(t, e.Message, "disk on fire")
	})
}

func TestSingleDataset(t *testing.T) {
	base, _ := adminServer(t, nil, testToken, nil)
	r := do(t, "GET", base+"/api/v1/datasets", "")
	require.Equal(t, http.StatusOK, r.Status)
	var l datasetList
	require.NoError(t, json.Unmarshal(r.Body, &l))
	assert.False(t, l.Versioned)
	require.Len(t, l.Versions, 1)
	v := l.Versions[0]
	assert.Equal(t, DatasetVersion{ID: "test.1", Name: "测试数据集", Version: "test.1", Published: "2026-01-01",
		Checksum: "sha256:0000000000000000000000000000000000000000000000000000000000000000", Synthetic: true,
		Features: map[string]int{"districts": 1, "control_units": 2, "eco_redline": 1}, Active: true}, v)

	r = do(t, "POST", base+activate2023, "", "Authorization", "Bearer "+testToken)
	require.Equal(t, http.StatusConflict, r.Status)
	assert.Equal(t, CodeNotVersioned, errorOf(t, r).Code)
	r = do(t, "POST", base+activate2023, "")
	require.Equal(t, http.StatusUnauthorized, r.Status, "authentication comes first")

	r = do(t, "GET", base+"/api/v1/datasets/diff?from=a&to=b", "")
	require.Equal(t, http.StatusConflict, r.Status)
	assert.Equal(t, CodeNotVersioned, errorOf(t, r).Code)

	t.Run("nothing loaded", func(t *testing.T) {
		ts := newTestServer(t, New(staticSource{nil}, Config{}, nil))
		r := do(t, "GET", ts.URL+"/api/v1/datasets", "")
		require.Equal(t, http.StatusServiceUnavailable, r.Status)
	})
}

func TestDiffDatasets(t *testing.T) {
	base, _ := adminServer(t, &fakeAdmin{}, "", nil)
	r := do(t, "GET", base+"/api/v1/datasets/diff?from=2020&to=2023", "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var d struct {
		FromID   string                    `json:"from_id"`
		ToID     string                    `json:"to_id"`
		From     admission.DatasetRef      `json:"from"`
		Features []admission.FeatureChange `json:"features"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &d))
	assert.Equal(t, "2020", d.FromID)
	assert.Equal(t, "2023", d.ToID)
	assert.Equal(t, "2020.1", d.From.Version)
	require.Len(t, d.Features, 1)
	assert.NotContains(t, string(r.Body), "/tmp", "no file system paths")

	for q, want := range map[string]string{"to=2023": "from", "from=2020": "to", "from=2020&to=%20": "to"} {
		r := do(t, "GET", base+"/api/v1/datasets/diff?"+q, "")
		require.Equal(t, http.StatusBadRequest, r.Status, q)
		e := errorOf(t, r)
		assert.Equal(t, CodeInvalidParameter, e.Code)
		assert.Equal(t, want, e.Details["parameter"])
	}
	r = do(t, "GET", base+"/api/v1/datasets/diff?from=2020&to=1999", "")
	require.Equal(t, http.StatusNotFound, r.Status)
	assert.Equal(t, CodeVersionNotFound, errorOf(t, r).Code)
}

// The answers of the dataset routes match the documented schemas, with a
// DatasetAdmin and a token (TestOpenAPIRequestExamples sends its examples
// to a server without either).
func TestDatasetRoutesDocumented(t *testing.T) {
	doc := loadOpenAPI(t)
	base, _ := adminServer(t, &fakeAdmin{serving: "2020"}, testToken, nil)
	single, _ := adminServer(t, nil, testToken, nil)
	auth := []string{"Authorization", "Bearer " + testToken}
	tests := []struct {
		base, method, path, route string
		header                    []string
		status                    int
	}{
		{base, "GET", "/api/v1/datasets", "/api/v1/datasets", nil, 200},
		{single, "GET", "/api/v1/datasets", "/api/v1/datasets", nil, 200},
		{base, "GET", "/api/v1/datasets/diff?from=2020&to=2023", "/api/v1/datasets/diff", nil, 200},
		{base, "GET", "/api/v1/datasets/diff?from=2020", "/api/v1/datasets/diff", nil, 400},
		{base, "GET", "/api/v1/datasets/diff?from=2020&to=1999", "/api/v1/datasets/diff", nil, 404},
		{single, "GET", "/api/v1/datasets/diff?from=2020&to=2023", "/api/v1/datasets/diff", nil, 409},
		{base, "POST", "/api/v1/admin/datasets/2023/activate", "/api/v1/admin/datasets/{version}/activate", auth, 200},
		{base, "POST", "/api/v1/admin/datasets/2023/activate", "/api/v1/admin/datasets/{version}/activate", nil, 401},
		{base, "POST", "/api/v1/admin/datasets/1999/activate", "/api/v1/admin/datasets/{version}/activate", auth, 404},
		{base, "POST", "/api/v1/admin/datasets/2024/activate", "/api/v1/admin/datasets/{version}/activate", auth, 422},
		{single, "POST", "/api/v1/admin/datasets/2023/activate", "/api/v1/admin/datasets/{version}/activate", auth, 409},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %s %d", tt.method, tt.path, tt.status), func(t *testing.T) {
			item := doc.Paths.Find(tt.route)
			require.NotNil(t, item, tt.route)
			op := item.GetOperation(tt.method)
			require.NotNil(t, op)
			checkDocumented(t, op, do(t, tt.method, tt.base+tt.path, "", tt.header...), tt.status)
		})
	}
}

// The list names no file system path, and counts come through.
func TestListDatasets(t *testing.T) {
	base, _ := adminServer(t, &fakeAdmin{serving: "2020"}, "", nil)
	r := do(t, "GET", base+"/api/v1/datasets", "")
	require.Equal(t, http.StatusOK, r.Status)
	body := string(r.Body)
	assert.True(t, strings.Contains(body, `"control_units":785`), body)
	assert.Contains(t, body, `"problem":"layer`)
	assert.Contains(t, body, `"features":{}`, "a version without counts has an empty object, not null")
}
