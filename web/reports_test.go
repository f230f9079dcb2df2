package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/batch/sqlstore"
	"github.com/sanxian/sanxian/report"
)

// exampleReportID is the report exampleReports stores (the OpenAPI
// examples name it).
const exampleReportID = "R-7K3M9QXA2BFD4HJP8"

// newReports opens a SQLite report store with a running recorder.
func newReports(t testing.TB) (*Reports, *sqlstore.Store) {
	t.Helper()
	store, err := sqlstore.OpenSQLite(context.Background(), t.TempDir())
	require.NoError(t, err)
	rec := report.NewRecorder(store, report.RecorderOptions{}, nil)
	t.Cleanup(func() {
		rec.Close()
		store.Close()
	})
	return &Reports{Recorder: rec, Store: store}, store
}

// exampleReports is a report store holding exampleReportID: a page check
// of the red-line point (106.525, 29.525) for a new C2614 project.
func exampleReports(t testing.TB, d *admission.Dataset) *Reports {
	t.Helper()
	r, store := newReports(t)
	req := admission.CheckRequest{Geometry: orb.Point{106.525, 29.525}, CRS: "EPSG:4490", Project: admission.Project{Industry: "C2614", Construction: "新建"}}
	res, err := d.Check(context.Background(), req)
	require.NoError(t, err)
	body, err := json.Marshal(res)
	require.NoError(t, err)
	hash, err := report.GeometryHash(req.Geometry)
	require.NoError(t, err)
	e, err := report.Seal(report.Record{ID: exampleReportID, Kind: report.KindPage, CreatedAt: time.Date(2026, 3, 2, 8, 15, 0, 0, time.UTC),
		Client: report.Client{IP: "10.12.0.31", RequestID: "example"}, Request: report.NewRequest(req), InputSHA256: hash,
		Dataset: report.DatasetOf(res.Dataset), Verdict: report.VerdictOf(res), Result: body})
	require.NoError(t, err)
	require.NoError(t, store.SaveReports(context.Background(), []report.Entry{e}))
	return r
}

// reportAnswer is GET /api/v1/reports/{id}, decoded strictly enough.
type reportAnswer struct {
	report.Record
	Retention  string `json:"retention"`
	Links      reportLinks
	Reproduced *struct {
		Same        *bool          `json:"same"`
		SameDataset bool           `json:"same_dataset"`
		Dataset     report.Dataset `json:"dataset"`
		Message     string         `json:"message"`
		Differences *report.Diff   `json:"differences"`
		Error       string         `json:"error"`
	} `json:"reproduced"`
}

func getReportAnswer(t *testing.T, base, id string) reportAnswer {
	t.Helper()
	r := do(t, "GET", base+"/api/v1/reports/"+id, "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var a reportAnswer
	require.NoError(t, json.Unmarshal(r.Body, &a), "%s", r.Body)
	return a
}

// withoutField is a JSON object without one member.
func withoutField(t *testing.T, body []byte, name string) []byte {
	t.Helper()
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(body, &m))
	delete(m, name)
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// TestReportRoundTrip: a check answers with report_id (and X-Report-ID);
// GET /api/v1/reports/{id} gives back exactly that answer, the canonical
// request, the geometry's hash, the client and the dataset, and re-running
// it on the same dataset gives the same answer.
func TestReportRoundTrip(t *testing.T) {
	d := testDataset(t)
	reports, _ := newReports(t)
	ts := newTestServer(t, New(staticSource{d}, Config{Reports: reports}, testLogger(t)))

	for _, tc := range []struct {
		name, method, path, body, client string
		kind                             report.Kind
		geom                             orb.Geometry
		verdict                          string
	}{
		{"POST polygon in GCJ-02 from the page", "POST", "/api/v1/check",
			`{"wkt":"POLYGON((106.51 29.51,106.54 29.51,106.54 29.54,106.51 29.54,106.51 29.51))","crs":"GCJ02","industry":"C2614","construction":"新建","buffer_m":100}`,
			"page", report.KindPage, nil, admission.VerdictProhibited},
		{"GET point", "GET", "/api/v1/check?lon=106.58&lat=29.55&industry=C1713", "", "", report.KindAPI, orb.Point{106.58, 29.55}, admission.VerdictProhibited},
		{"outside the data", "GET", "/api/v1/check?lon=107.5&lat=29.55", "", "", report.KindAPI, orb.Point{107.5, 29.55}, report.VerdictNone},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.method, ts.URL+tc.path, tc.body, HeaderClient, tc.client)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			var ans struct {
				ReportID      string `json:"report_id"`
				ReportWarning string `json:"report_warning"`
			}
			require.NoError(t, json.Unmarshal(r.Body, &ans))
			assert.Empty(t, ans.ReportWarning)
			require.Regexp(t, `^R-[0-9A-HJKMNP-TV-Z]{17}$`, ans.ReportID)
			assert.Equal(t, ans.ReportID, r.Header.Get(HeaderReportID))
			assert.True(t, bytes.HasPrefix(r.Body, []byte(`{"report_id":"`+ans.ReportID+`","dataset":`)), "report_id comes first: %.80s", r.Body)

			a := getReportAnswer(t, ts.URL, ans.ReportID)
			assert.Equal(t, ans.ReportID, a.ID)
			assert.Equal(t, tc.kind, a.Kind)
			assert.Equal(t, tc.verdict, a.Verdict)
			assert.Equal(t, "127.0.0.1", a.Client.IP)
			assert.Equal(t, r.Header.Get("X-Request-ID"), a.Client.RequestID)
			assert.WithinDuration(t, time.Now(), a.CreatedAt, time.Minute)
			assert.Equal(t, report.DatasetOf(d.Ref()), a.Dataset)
			assert.JSONEq(t, string(withoutField(t, r.Body, "report_id")), string(a.Result), "the stored answer is the answer given")
			req, err := a.Request.CheckRequest()
			require.NoError(t, err)
			if tc.geom != nil {
				assert.Equal(t, tc.geom, req.Geometry)
			}
			hash, err := report.GeometryHash(req.Geometry)
			require.NoError(t, err)
			assert.Equal(t, hash, a.InputSHA256)
			assert.Equal(t, retentionCheck, a.Retention)
			assert.Equal(t, "/report?id="+ans.ReportID, a.Links.Page)
			require.NotNil(t, a.Reproduced)
			require.NotNil(t, a.Reproduced.Same, a.Reproduced.Error)
			assert.True(t, *a.Reproduced.Same)
			assert.True(t, a.Reproduced.SameDataset)
			assert.Nil(t, a.Reproduced.Differences)
			assert.Equal(t, "按同一数据版本重新核查，结果一致。", a.Reproduced.Message)
		})
	}

	t.Run("POST keeps the CRS and the project as validated", func(t *testing.T) {
		r := do(t, "POST", ts.URL+"/api/v1/check", `{"wkt":"POINT(106.525 29.525)","industry":"c2614","construction":"新建","layers":[]}`)
		require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
		a := getReportAnswer(t, ts.URL, r.Header.Get(HeaderReportID))
		assert.Equal(t, report.Request{Geometry: a.Request.Geometry, CRS: "EPSG:4490", Industry: "C2614", Construction: "新建"}, a.Request)
		// The hash is that of the point's WKB as PostGIS ST_AsBinary(geom,
		// 'NDR') gives it: byte order 1, type 1 (uint32), x, y (float64),
		// all little-endian.
		wkb := []byte{1, 1, 0, 0, 0}
		wkb = binary.LittleEndian.AppendUint64(wkb, math.Float64bits(106.525))
		wkb = binary.LittleEndian.AppendUint64(wkb, math.Float64bits(29.525))
		sum := sha256.Sum256(wkb)
		assert.Equal(t, hex.EncodeToString(sum[:]), a.InputSHA256)
	})

	t.Run("rerun=0 skips the re-run; the id is read as people type it", func(t *testing.T) {
		r := do(t, "GET", ts.URL+"/api/v1/check?lon=106.525&lat=29.525", "")
		id := r.Header.Get(HeaderReportID)
		typed := strings.ToLower(id[:6]) + " " + id[6:10] + "-" + id[10:]
		typed = strings.ReplaceAll(strings.ReplaceAll(typed, "0", "o"), "1", "l")
		g := do(t, "GET", ts.URL+"/api/v1/reports/"+typed+"?rerun=0", "")
		require.Equal(t, http.StatusOK, g.Status, "%s", g.Body)
		var a reportAnswer
		require.NoError(t, json.Unmarshal(g.Body, &a))
		assert.Equal(t, id, a.ID)
		assert.Nil(t, a.Reproduced)
		assert.Contains(t, string(g.Body), `"reproduced":null`)
	})
}

// TestReportErrors: a malformed or mistyped id is 400 invalid_report_id, a
// well-formed unknown one 404 report_not_found, a bad rerun 400; without
// a report store checks carry no report_id and R ids are 503.
func TestReportErrors(t *testing.T) {
	d := testDataset(t)
	ts := newTestServer(t, New(staticSource{d}, Config{Reports: exampleReports(t, d)}, testLogger(t)))
	tampered := []byte(exampleReportID)
	tampered[5] = 'Q' // 3 → Q
	for _, tc := range []struct {
		id, query, code string
		status          int
	}{
		{exampleReportID, "", "", http.StatusOK},
		{string(tampered), "", CodeInvalidReportID, http.StatusBadRequest},
		{exampleReportID[:len(exampleReportID)-1], "", CodeInvalidReportID, http.StatusBadRequest},
		{"X-7K3M9QXA2BFD4HJP8", "", CodeInvalidReportID, http.StatusBadRequest},
		{"R-7K3M9QXA2BFD4HJP8U", "", CodeInvalidReportID, http.StatusBadRequest},
		{"报告", "", CodeInvalidReportID, http.StatusBadRequest},
		{"R-5N8C1WQ4Z7GJ2D0H1", "", CodeReportNotFound, http.StatusNotFound},
		{exampleReportID, "rerun=maybe", CodeInvalidParameter, http.StatusBadRequest},
		{"B-9YE2TZGT7DE6V3GF38NG0G", "", CodeBatchDisabled, http.StatusServiceUnavailable},
	} {
		t.Run(tc.id+"?"+tc.query, func(t *testing.T) {
			r := do(t, "GET", ts.URL+"/api/v1/reports/"+tc.id+"?"+tc.query, "")
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			if tc.code != "" {
				e := errorOf(t, r)
				assert.Equal(t, tc.code, e.Code)
				assert.Regexp(t, `\p{Han}`, e.Message, "a Chinese message")
			}
		})
	}

	off := newTestServer(t, New(staticSource{d}, Config{}, testLogger(t)))
	r := do(t, "GET", off.URL+"/api/v1/check?lon=106.525&lat=29.525", "")
	require.Equal(t, http.StatusOK, r.Status)
	assert.NotContains(t, string(r.Body), "report_")
	assert.Empty(t, r.Header.Get(HeaderReportID))
	r = do(t, "GET", off.URL+"/api/v1/reports/"+exampleReportID, "")
	assert.Equal(t, http.StatusServiceUnavailable, r.Status)
	assert.Equal(t, CodeReportsDisabled, errorOf(t, r).Code)
}

// TestReportStoreDown: when the record cannot be stored the check is still
// answered, without a report_id, with a Chinese report_warning, and the
// failure is counted.
func TestReportStoreDown(t *testing.T) {
	d := testDataset(t)
	store, err := sqlstore.OpenSQLite(context.Background(), t.TempDir())
	require.NoError(t, err)
	rec := report.NewRecorder(store, report.RecorderOptions{}, nil)
	defer rec.Close()
	require.NoError(t, store.Close()) // the disk is gone
	s := New(staticSource{d}, Config{Reports: &Reports{Recorder: rec, Store: store}}, nil)
	ts := newTestServer(t, s)
	r := do(t, "GET", ts.URL+"/api/v1/check?lon=106.525&lat=29.525", "", HeaderClient, "page")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var ans map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &ans))
	assert.NotContains(t, ans, "report_id")
	assert.Equal(t, reportWarning, ans["report_warning"])
	assert.Empty(t, r.Header.Get(HeaderReportID))
	assert.Contains(t, ans, "assessment", "the answer itself is there")
	m := do(t, "GET", ts.URL+"/metrics", "")
	assert.Contains(t, string(m.Body), `sanxian_reports_failed_total{kind="page"} 1`)
	assert.NotContains(t, string(m.Body), `sanxian_reports_saved_total{kind="page"}`)
}

// TestReportNotReproducedOnSameVersion: a stored answer that the same
// dataset version no longer gives (here: a record altered in the
// database) is reported same:false and logged at error level, since it
// should never happen.
func TestReportNotReproducedOnSameVersion(t *testing.T) {
	d := testDataset(t)
	reports, store := newReports(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))
	ts := newTestServer(t, New(staticSource{d}, Config{Reports: reports}, logger))

	req := admission.CheckRequest{Geometry: orb.Point{106.525, 29.525}, CRS: "EPSG:4490"}
	res, err := d.Check(context.Background(), req)
	require.NoError(t, err)
	res.Notes = append(res.Notes, "篡改的说明。")
	body, err := json.Marshal(res)
	require.NoError(t, err)
	id, err := report.NewID()
	require.NoError(t, err)
	e, err := report.Seal(report.Record{ID: id, Kind: report.KindAPI, CreatedAt: time.Now().UTC(), Request: report.NewRequest(req),
		Dataset: report.DatasetOf(res.Dataset), Verdict: report.VerdictOf(res), Result: body})
	require.NoError(t, err)
	require.NoError(t, store.SaveReports(context.Background(), []report.Entry{e}))

	a := getReportAnswer(t, ts.URL, id)
	require.NotNil(t, a.Reproduced.Same)
	assert.False(t, *a.Reproduced.Same)
	assert.True(t, a.Reproduced.SameDataset)
	require.NotNil(t, a.Reproduced.Differences)
	assert.Equal(t, []string{"notes"}, a.Reproduced.Differences.Fields)
	assert.Nil(t, a.Reproduced.Differences.Verdict)
	assert.Contains(t, a.Reproduced.Message, "不应发生")
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, logs.String(), `"level":"ERROR","msg":"report not reproduced on the same dataset version"`)
	assert.Contains(t, logs.String(), id)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestReportBatchRow: a done row of a batch job has a B id in the rows
// API that resolves to the row's result and re-runs it; rows not done,
// ids of rows past the end and of deleted jobs are 404.
func TestReportBatchRow(t *testing.T) {
	d := testDataset(t)
	b := exampleBatches(t, d)
	ts := newTestServer(t, New(staticSource{d}, Config{Batches: b}, testLogger(t)))
	r := do(t, "GET", ts.URL+"/api/v1/batches/"+exampleFinishedJob+"/rows", "")
	require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
	var page rowsPage
	require.NoError(t, json.Unmarshal(r.Body, &page))
	require.Len(t, page.Rows, 2)
	for i, row := range page.Rows {
		assert.Equal(t, report.BatchRowID(exampleFinishedJob, i), row.ReportID)
		a := getReportAnswer(t, ts.URL, row.ReportID)
		assert.Equal(t, report.KindBatch, a.Kind)
		assert.Equal(t, *row.Outcome, a.Verdict)
		require.NotNil(t, a.Batch)
		assert.Equal(t, report.BatchRow{JobID: exampleFinishedJob, JobName: "项目清单", Seq: i, Line: row.Line, Name: row.Name}, *a.Batch)
		var res batch.Result
		require.NoError(t, json.Unmarshal(a.Result, &res))
		assert.Equal(t, row.Label, res.Label)
		assert.Equal(t, report.DatasetOf(d.Ref()), a.Dataset)
		assert.Equal(t, retentionBatch, a.Retention)
		require.NotNil(t, a.Reproduced.Same, a.Reproduced.Error)
		assert.True(t, *a.Reproduced.Same, "%+v", a.Reproduced.Differences)
	}
	a := getReportAnswer(t, ts.URL, page.Rows[0].ReportID)
	assert.Equal(t, admission.VerdictProhibited, a.Verdict, "红线内项目")
	assert.Equal(t, orb.Point{106.525, 29.525}, a.Request.Geometry.Geometry())
	assert.Equal(t, "C2614", a.Request.Industry)
	assert.Equal(t, float64(batch.DefaultNearbyM), a.Request.NearbyM)
	assert.NotEmpty(t, a.InputSHA256)
	a = getReportAnswer(t, ts.URL, page.Rows[1].ReportID)
	assert.Equal(t, batch.OutcomeError, a.Verdict, "坐标有误")
	assert.Empty(t, a.InputSHA256, "no geometry")

	for name, id := range map[string]string{
		"row not done":     report.BatchRowID(exampleQueuedJob, 0),
		"row past the end": report.BatchRowID(exampleFinishedJob, 2),
		"no such job":      report.BatchRowID("0123456789abcdef01234567", 0),
	} {
		t.Run(name, func(t *testing.T) {
			r := do(t, "GET", ts.URL+"/api/v1/reports/"+id, "")
			require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
			assert.Equal(t, CodeReportNotFound, errorOf(t, r).Code)
		})
	}
	_, err := b.Store.Expire(context.Background(), time.Now().Add(time.Hour))
	require.NoError(t, err)
	r = do(t, "GET", ts.URL+"/api/v1/reports/"+page.Rows[0].ReportID, "")
	require.Equal(t, http.StatusNotFound, r.Status, "%s", r.Body)
	assert.Contains(t, errorOf(t, r).Message, "保留期")
}

// TestReportSize logs what a record of a realistic answer takes once
// compressed (the sample's clause texts dominate): see docs.
func TestReportSize(t *testing.T) {
	d := testDataset(t)
	res, err := d.Check(context.Background(), admission.CheckRequest{Geometry: orb.Point{106.525, 29.525}, Project: admission.Project{Industry: "C2614", Construction: "新建"}})
	require.NoError(t, err)
	body, err := json.Marshal(res)
	require.NoError(t, err)
	e, err := report.Seal(report.Record{ID: exampleReportID, Result: body, Request: report.NewRequest(admission.CheckRequest{Geometry: orb.Point{106.525, 29.525}})})
	require.NoError(t, err)
	assert.Less(t, len(e.ResultS2), len(body), "compressed")
	back, err := e.Open()
	require.NoError(t, err)
	assert.Equal(t, body, []byte(back.Result))
	t.Logf("answer %d bytes, compressed %d, record %d", len(body), len(e.ResultS2), e.Size())
}
