package web

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strconv"
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
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/internal/sampletest"
)

// fakeFiles stands in for package data's lists (web must not import it):
// a .csv with the header name,industry,construction,lon,lat (in any
// order); a line whose name is CORRUPT ends the rows with corrupt_list;
// lon/lat that are not numbers make a row error. Results are written as
// CSV "line,name,outcome,label" ("xlsx" is the same CSV behind a marker,
// "geojson" one JSON object per line). failAfter > 0 makes WriteResults
// fail after that many rows, once the answer has started.
type fakeFiles struct {
	failAfter int
}

type fakeList struct {
	header batch.Header
	recs   [][]string
}

func (fakeFiles) Open(name string, r io.Reader, _ BatchListOptions) (BatchList, error) {
	if path.Ext(name) != ".csv" {
		return nil, BatchListError(CodeUnsupportedList, fmt.Sprintf("不支持的文件类型“%s”：请上传 .xlsx 或 .csv。", path.Ext(name)), 0)
	}
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		return nil, BatchListError(CodeCorruptList, "CSV 文件已损坏。", 0)
	}
	if len(recs) < 2 {
		return nil, BatchListError(CodeEmptyList, "文件没有数据行。", len(recs))
	}
	h := batch.Header{Columns: recs[0], Roles: map[string]int{}}
	for i, c := range recs[0] {
		h.Roles[c] = i
	}
	if _, ok := h.Roles["lon"]; !ok {
		return nil, BatchListError(CodeNoSiteColumns, "没有经度、纬度列。", 1)
	}
	return &fakeList{header: h, recs: recs[1:]}, nil
}

func (l *fakeList) Header() batch.Header { return l.header }
func (l *fakeList) Close() error         { return nil }

func (l *fakeList) Rows() iter.Seq2[batch.Row, error] {
	return func(yield func(batch.Row, error) bool) {
		cell := func(rec []string, role string) string {
			if i, ok := l.header.Roles[role]; ok && i < len(rec) {
				return rec[i]
			}
			return ""
		}
		for i, rec := range l.recs {
			line := i + 2
			if cell(rec, "name") == "CORRUPT" {
				yield(batch.Row{}, BatchListError(CodeCorruptList, fmt.Sprintf("第 %d 行已损坏。", line), line))
				return
			}
			row := batch.Row{Line: line, Cells: rec, Name: cell(rec, "name"), Industry: cell(rec, "industry"), Construction: cell(rec, "construction")}
			lon, err1 := strconv.ParseFloat(cell(rec, "lon"), 64)
			lat, err2 := strconv.ParseFloat(cell(rec, "lat"), 64)
			if err1 != nil || err2 != nil {
				row.Error = &batch.RowError{Code: batch.ErrCodeBadCoordinates, Column: "lon", Message: fmt.Sprintf("第 %d 行「lon」列：无法识别的坐标。", line)}
			} else {
				row.Geometry = orb.Point{lon, lat}
			}
			if !yield(row, nil) {
				return
			}
		}
	}
}

var errFakeWrite = errors.New("fake: write failed")

func (f fakeFiles) WriteResults(w io.Writer, format string, job batch.Job, rows func(fn func(batch.Row, *batch.Result) error) error, clauses []batch.Clause) error {
	n := 0
	if format == "xlsx" {
		fmt.Fprintln(w, "XLSX")
	}
	return rows(func(r batch.Row, res *batch.Result) error {
		n++
		outcome, label := "", "未完成"
		if res != nil {
			outcome, label = res.Outcome, res.Label
		}
		var err error
		if format == "geojson" {
			err = json.NewEncoder(w).Encode(map[string]any{"line": r.Line, "name": r.Name, "outcome": outcome})
		} else {
			_, err = fmt.Fprintf(w, "%d,%s,%s,%s\n", r.Line, r.Name, outcome, label)
		}
		if f.failAfter > 0 && n >= f.failAfter {
			if fl, ok := w.(interface{ Flush() error }); ok {
				fl.Flush()
			}
			return errFakeWrite
		}
		return err
	})
}

func (fakeFiles) WriteTemplate(w io.Writer, format string) error {
	_, err := fmt.Fprintf(w, "%s:name,industry,construction,lon,lat\n", format)
	return err
}

// batchEnv is a server with a real SQLite store and a real runner over a
// dataset; the runner only runs when started.
type batchEnv struct {
	ts     *httptest.Server
	store  *sqlstore.Store
	runner *batch.Runner
	b      *Batches
}

func newBatchEnv(t *testing.T, d *admission.Dataset, start bool, cfg Config, files BatchFiles) *batchEnv {
	t.Helper()
	store, err := sqlstore.OpenSQLite(context.Background(), t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	runner := &batch.Runner{Store: store, Datasets: staticSource{d}, Worker: "test", Poll: 20 * time.Millisecond}
	if start {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			runner.Run(ctx)
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
	}
	if files == nil {
		files = fakeFiles{}
	}
	b := &Batches{Store: store, Files: files, Notify: runner.Notify}
	if cfg.Batches != nil {
		b.MaxUploadBytes, b.MaxRows, b.ChunkSize = cfg.Batches.MaxUploadBytes, cfg.Batches.MaxRows, cfg.Batches.ChunkSize
	}
	cfg.Batches = b
	return &batchEnv{ts: newTestServer(t, New(staticSource{d}, cfg, testLogger(t))), store: store, runner: runner, b: b}
}

// postList uploads content as the file name with the extra form fields.
func postList(t *testing.T, url, name string, content []byte, fields ...string) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		require.NoError(t, mw.WriteField(fields[i], fields[i+1]))
	}
	if name != "" {
		fw, err := mw.CreateFormFile("file", name)
		require.NoError(t, err)
		_, err = fw.Write(content)
		require.NoError(t, err)
	}
	return postForm(t, url, mw, &buf)
}

// apiJob is the job answer as the page reads it.
type apiJob struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	FileName    string            `json:"file_name"`
	Status      string            `json:"status"`
	StatusLabel string            `json:"status_label"`
	Total       int               `json:"total"`
	Done        int               `json:"done"`
	Progress    float64           `json:"progress"`
	Counts      map[string]int    `json:"counts"`
	Labels      map[string]string `json:"labels"`
	Header      batch.Header      `json:"header"`
	Options     batch.Options     `json:"options"`
	Dataset     string            `json:"dataset"`
	Links       map[string]string `json:"links"`
	RowErrors   []rowErrorView    `json:"row_errors"`
}

func decodeJob(t *testing.T, r response) apiJob {
	t.Helper()
	var j apiJob
	require.NoError(t, json.Unmarshal(r.Body, &j), "body %s", r.Body)
	return j
}

// waitFinished polls the job until it is finished.
func waitFinished(t *testing.T, base, id string) apiJob {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		r := do(t, "GET", base+"/api/v1/batches/"+id, "")
		require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
		j := decodeJob(t, r)
		if j.Status == string(batch.StatusFinished) {
			return j
		}
		require.True(t, time.Now().Before(deadline), "job still %s after 60 s: %s", j.Status, r.Body)
		time.Sleep(20 * time.Millisecond)
	}
}

// sampleList: 渝中区's seat with a chemical plant (prohibited), the same
// seat with a data centre (compatible), a bad coordinate (error) and
// Beijing (outside the data).
//
//	line 2  化工厂   C2614 新建 106.569,29.553 → prohibited
//	line 3  坏坐标   C2614 新建 106.5x,29.553  → error (lon)
//	line 4  数据中心 I6450 新建 106.569,29.553 → compatible
//	line 5  北京     C2614 新建 116.4,39.9     → none
const sampleList = "name,industry,construction,lon,lat\n" +
	"化工厂,C2614,新建,106.569,29.553\n" +
	"坏坐标,C2614,新建,106.5x,29.553\n" +
	"数据中心,I6450,新建,106.569,29.553\n" +
	"北京,C2614,新建,116.4,39.9\n"

func TestBatchLifecycle(t *testing.T) {
	env := newBatchEnv(t, sampletest.Dataset(t), true, Config{}, nil)
	base := env.ts.URL

	r := postList(t, base+"/api/v1/batches", "重庆项目清单.csv", []byte(sampleList), "buffer_m", "100")
	require.Equal(t, http.StatusAccepted, r.Status, "body %s", r.Body)
	checkDocumented(t, loadOpenAPI(t).Paths.Find("/api/v1/batches").Post, r, http.StatusAccepted)
	j := decodeJob(t, r)
	assert.Equal(t, "/api/v1/batches/"+j.ID, r.Header.Get("Location"))
	assert.Equal(t, "重庆项目清单", j.Name, "name defaults to the file name without extension")
	assert.Equal(t, "重庆项目清单.csv", j.FileName)
	assert.Equal(t, 4, j.Total)
	assert.Equal(t, 100.0, j.Options.BufferM)
	assert.Equal(t, float64(batch.DefaultNearbyM), j.Options.NearbyM)
	assert.Len(t, j.Counts, 7)
	assert.Equal(t, "禁止准入", j.Labels[admission.VerdictProhibited])
	assert.Equal(t, map[string]int{"name": 0, "industry": 1, "construction": 2, "lon": 3, "lat": 4}, j.Header.Roles)
	assert.Equal(t, "/api/v1/batches/"+j.ID+"/result.xlsx", j.Links["result_xlsx"])
	assert.Equal(t, "/batch?job="+j.ID, j.Links["page"])

	j = waitFinished(t, base, j.ID)
	assert.Equal(t, "已完成", j.StatusLabel)
	assert.Equal(t, 4, j.Done)
	assert.Equal(t, 1.0, j.Progress)
	assert.Equal(t, map[string]int{
		admission.VerdictProhibited: 1, admission.VerdictCompatible: 1, batch.OutcomeNone: 1, batch.OutcomeError: 1,
		admission.VerdictInsufficient: 0, admission.VerdictRestricted: 0, admission.VerdictReview: 0,
	}, j.Counts)
	require.Len(t, j.RowErrors, 1)
	assert.Equal(t, rowErrorView{Seq: 1, Line: 3, Code: batch.ErrCodeBadCoordinates, Column: "lon", ColumnHeader: "lon", Message: "第 3 行「lon」列：无法识别的坐标。"}, j.RowErrors[0])
	assert.NotEmpty(t, j.Dataset)

	t.Run("list", func(t *testing.T) {
		r := do(t, "GET", base+"/api/v1/batches?limit=5", "")
		require.Equal(t, http.StatusOK, r.Status)
		var l struct{ Jobs []apiJob }
		require.NoError(t, json.Unmarshal(r.Body, &l))
		require.Len(t, l.Jobs, 1)
		assert.Equal(t, j.ID, l.Jobs[0].ID)
		assert.Nil(t, l.Jobs[0].RowErrors, "the list has no row errors")
		assert.Equal(t, http.StatusBadRequest, do(t, "GET", base+"/api/v1/batches?limit=201", "").Status)
	})

	t.Run("download", func(t *testing.T) {
		for _, tc := range []struct{ format, ctype string }{
			{"csv", "text/csv; charset=utf-8"},
			{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
			{"geojson", "application/geo+json"},
		} {
			r := do(t, "GET", base+j.Links["result_"+tc.format], "")
			require.Equal(t, http.StatusOK, r.Status, "%s: %s", tc.format, r.Body)
			assert.Equal(t, tc.ctype, r.Header.Get("Content-Type"))
			cd := r.Header.Get("Content-Disposition")
			assert.Contains(t, cd, `attachment; filename="sanxian-batch-`+j.ID[:12]+`-results.`+tc.format+`"`)
			assert.Contains(t, cd, "filename*=UTF-8''"+rfc5987("重庆项目清单-筛查结果."+tc.format))
		}
		r := do(t, "GET", base+j.Links["result_csv"], "")
		assert.Equal(t, "2,化工厂,prohibited,禁止准入\n3,坏坐标,error,无法筛查\n4,数据中心,compatible,符合准入要求\n5,北京,none,"+batch.LabelNone+"\n", string(r.Body))
	})

	t.Run("rows", func(t *testing.T) {
		r := do(t, "GET", base+j.Links["rows"]+"?offset=0&limit=2", "")
		require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
		var p struct {
			Total, Offset, Limit int
			Rows                 []map[string]any
		}
		require.NoError(t, json.Unmarshal(r.Body, &p))
		assert.Equal(t, 4, p.Total)
		require.Len(t, p.Rows, 2)
		first := p.Rows[0]
		assert.Equal(t, float64(2), first["line"])
		assert.Equal(t, "化工厂", first["name"])
		assert.Equal(t, "prohibited", first["outcome"])
		assert.Equal(t, "禁止准入", first["label"])
		assert.Equal(t, []any{"渝中区"}, first["districts"])
		assert.NotEmpty(t, first["clauses"])
		assert.NotEmpty(t, first["units"])
		assert.Equal(t, map[string]any{"type": "Point", "coordinates": []any{106.569, 29.553}}, first["geometry"])
		bad := p.Rows[1]
		assert.Equal(t, "error", bad["outcome"])
		assert.Nil(t, bad["geometry"])
		assert.Equal(t, "bad_coordinates", bad["error"].(map[string]any)["code"])
		assert.Equal(t, "lon", bad["error"].(map[string]any)["column_header"])

		r = do(t, "GET", base+j.Links["rows"]+"?offset=3&limit=1000", "")
		require.NoError(t, json.Unmarshal(r.Body, &p))
		require.Len(t, p.Rows, 1)
		assert.Equal(t, "北京", p.Rows[0]["name"])
		r = do(t, "GET", base+j.Links["rows"]+"?offset=9", "")
		require.NoError(t, json.Unmarshal(r.Body, &p))
		assert.Empty(t, p.Rows)
		assert.NotNil(t, p.Rows, "rows is [] past the end")

		for _, q := range []string{"limit=1001", "limit=0", "offset=-1", "offset=x"} {
			r := do(t, "GET", base+j.Links["rows"]+"?"+q, "")
			assert.Equal(t, http.StatusBadRequest, r.Status, q)
			assert.Equal(t, CodeInvalidParameter, errorOf(t, r).Code, q)
		}
	})

	t.Run("cancelling a finished job changes nothing", func(t *testing.T) {
		r := do(t, "DELETE", base+"/api/v1/batches/"+j.ID, "")
		require.Equal(t, http.StatusOK, r.Status)
		assert.Equal(t, "finished", decodeJob(t, r).Status)
	})
}

// A runner that never starts keeps jobs queued: downloads answer 409
// unless partial=1, and DELETE cancels.
func TestBatchNotFinished(t *testing.T) {
	env := newBatchEnv(t, sampletest.Dataset(t), false, Config{}, nil)
	base := env.ts.URL
	r := postList(t, base+"/api/v1/batches", "list.csv", []byte(sampleList), "name", "第一批")
	require.Equal(t, http.StatusAccepted, r.Status, "body %s", r.Body)
	j := decodeJob(t, r)
	assert.Equal(t, "第一批", j.Name)
	assert.Equal(t, "queued", j.Status)
	assert.Equal(t, "排队中", j.StatusLabel)
	assert.Equal(t, 0.0, j.Progress)

	for _, f := range []string{"xlsx", "csv", "geojson"} {
		r := do(t, "GET", base+j.Links["result_"+f], "")
		require.Equal(t, http.StatusConflict, r.Status, f)
		e := errorOf(t, r)
		assert.Equal(t, CodeJobNotFinished, e.Code)
		assert.Contains(t, e.Message, "已完成 0 / 4 行")
		assert.Empty(t, r.Header.Get("Content-Disposition"))
	}
	r = do(t, "GET", base+j.Links["result_csv"]+"?partial=1", "")
	require.Equal(t, http.StatusOK, r.Status)
	assert.Equal(t, "2,化工厂,,未完成\n3,坏坐标,,未完成\n4,数据中心,,未完成\n5,北京,,未完成\n", string(r.Body))
	assert.Contains(t, r.Header.Get("Content-Disposition"), "filename*=UTF-8''"+rfc5987("第一批-筛查结果.csv"))
	assert.Equal(t, http.StatusBadRequest, do(t, "GET", base+j.Links["result_csv"]+"?partial=yes", "").Status)

	// Rows not done have no outcome yet; a reader's row error shows.
	r = do(t, "GET", base+j.Links["rows"], "")
	var p struct{ Rows []map[string]any }
	require.NoError(t, json.Unmarshal(r.Body, &p))
	require.Len(t, p.Rows, 4)
	assert.Nil(t, p.Rows[0]["outcome"])
	assert.Equal(t, false, p.Rows[0]["done"])
	assert.Equal(t, "未完成", p.Rows[0]["label"])
	assert.Equal(t, "bad_coordinates", p.Rows[1]["error"].(map[string]any)["code"])

	// One chunk done by hand: the job is running.
	worked, err := env.runner.Step(context.Background())
	require.NoError(t, err)
	require.True(t, worked)
	r = do(t, "GET", base+"/api/v1/batches/"+j.ID, "")
	j = decodeJob(t, r)
	assert.Equal(t, "finished", j.Status, "4 rows are one chunk")

	r = postList(t, base+"/api/v1/batches", "list.csv", []byte(sampleList))
	j = decodeJob(t, r)
	r = do(t, "DELETE", base+"/api/v1/batches/"+j.ID, "")
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	j = decodeJob(t, r)
	assert.Equal(t, "cancelled", j.Status)
	assert.Equal(t, "已取消", j.StatusLabel)
	worked, err = env.runner.Step(context.Background())
	require.NoError(t, err)
	assert.False(t, worked, "a cancelled job has nothing to do")
	r = do(t, "GET", base+j.Links["result_csv"], "")
	require.Equal(t, http.StatusOK, r.Status, "a cancelled job can be downloaded")
	assert.Contains(t, string(r.Body), "未完成")
}

func TestBatchRunningRowErrors(t *testing.T) {
	// Chunks of one row: after two steps the job runs with one error.
	env := newBatchEnv(t, sampletest.Dataset(t), false, Config{Batches: &Batches{ChunkSize: 1}}, nil)
	base := env.ts.URL
	r := postList(t, base+"/api/v1/batches", "list.csv", []byte(sampleList))
	require.Equal(t, http.StatusAccepted, r.Status, "body %s", r.Body)
	j := decodeJob(t, r)
	for range 2 {
		_, err := env.runner.Step(context.Background())
		require.NoError(t, err)
	}
	j = decodeJob(t, do(t, "GET", base+"/api/v1/batches/"+j.ID, ""))
	assert.Equal(t, "running", j.Status)
	assert.Equal(t, 2, j.Done)
	assert.Equal(t, 0.5, j.Progress)
	require.Len(t, j.RowErrors, 1)
	assert.Equal(t, 3, j.RowErrors[0].Line)
}

func TestBatchErrors(t *testing.T) {
	d := sampletest.Dataset(t)
	env := newBatchEnv(t, d, false, Config{MaxBodyBytes: 1024, Batches: &Batches{MaxUploadBytes: 4096, MaxRows: 3}}, nil)
	base := env.ts.URL
	post := base + "/api/v1/batches"
	noJobs := func(t *testing.T) {
		t.Helper()
		jobs, err := env.store.Jobs(context.Background(), 10)
		require.NoError(t, err)
		assert.Empty(t, jobs, "no job stored")
	}
	big := "name,industry,construction,lon,lat\n" + strings.Repeat("项目,C2614,新建,106.569,29.553\n", 150) // ~4.7 KB
	three := "name,industry,construction,lon,lat\n" + strings.Repeat("项目,C2614,新建,106.569,29.553\n", 3)

	tests := []struct {
		name   string
		do     func() response
		status int
		code   string
		detail map[string]any
	}{
		{"no file", func() response { return postList(t, post, "", nil, "name", "x") }, 400, CodeMissingFile, map[string]any{"parameter": "file"}},
		{"not multipart", func() response { return do(t, "POST", post, `{"file": "x"}`) }, 400, CodeMissingFile, nil},
		{"empty body", func() response { return do(t, "POST", post, "") }, 400, CodeMissingFile, nil},
		{"upload too large", func() response { return postList(t, post, "big.csv", []byte(big)) }, 413, CodeUploadTooLarge, map[string]any{"max_bytes": float64(4096)}},
		{"upload declared too large", func() response {
			return postList(t, post, "huge.csv", bytes.Repeat([]byte("x"), 4096+uploadEnvelope+1))
		}, 413, CodeUploadTooLarge, nil},
		{"too many rows", func() response {
			return postList(t, post, "four.csv", []byte(three+"项目,C2614,新建,106.569,29.553\n"))
		}, 413, CodeTooManyRows, map[string]any{"max_rows": float64(3)}},
		{"unsupported list", func() response { return postList(t, post, "list.xls", []byte("x")) }, 415, CodeUnsupportedList, nil},
		{"header only", func() response { return postList(t, post, "list.csv", []byte("name,lon,lat\n")) }, 422, CodeEmptyList, map[string]any{"line": float64(1)}},
		{"no site columns", func() response { return postList(t, post, "list.csv", []byte("name\nx\n")) }, 422, CodeNoSiteColumns, nil},
		{"corrupt line", func() response {
			return postList(t, post, "list.csv", []byte("name,lon,lat\na,106.5,29.5\nCORRUPT,1,1\n"))
		}, 422, CodeCorruptList, map[string]any{"line": float64(3)}},
		{"buffer out of range", func() response { return postList(t, post, "list.csv", []byte(three), "buffer_m", "50001") }, 400, CodeInvalidParameter, map[string]any{"parameter": "buffer_m"}},
		{"buffer not a number", func() response { return postList(t, post, "list.csv", []byte(three), "buffer_m", "abc") }, 400, CodeInvalidParameter, map[string]any{"parameter": "buffer_m"}},
		{"nearby zero", func() response { return postList(t, post, "list.csv", []byte(three), "nearby_m", "0") }, 400, CodeInvalidParameter, map[string]any{"parameter": "nearby_m"}},
		{"nearby too far", func() response { return postList(t, post, "list.csv", []byte(three), "nearby_m", "50001") }, 400, CodeInvalidParameter, map[string]any{"parameter": "nearby_m"}},
		{"name too long", func() response {
			return postList(t, post, "list.csv", []byte(three), "name", strings.Repeat("长", 101))
		}, 400, CodeInvalidParameter, map[string]any{"parameter": "name"}},
		{"unknown field", func() response { return postList(t, post, "list.csv", []byte(three), "bufer_m", "1") }, 400, CodeInvalidParameter, map[string]any{"parameter": "bufer_m"}},
		{"unknown job", func() response { return do(t, "GET", base+"/api/v1/batches/nope", "") }, 404, CodeJobNotFound, map[string]any{"id": "nope"}},
		{"unknown job rows", func() response { return do(t, "GET", base+"/api/v1/batches/nope/rows", "") }, 404, CodeJobNotFound, nil},
		{"unknown job result", func() response { return do(t, "GET", base+"/api/v1/batches/nope/result.xlsx", "") }, 404, CodeJobNotFound, nil},
		{"unknown job delete", func() response { return do(t, "DELETE", base+"/api/v1/batches/nope", "") }, 404, CodeJobNotFound, nil},
		{"unknown result format", func() response { return do(t, "GET", base+"/api/v1/batches/nope/result.pdf", "") }, 404, CodeRouteNotFound, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.do()
			require.Equal(t, tc.status, r.Status, "body %s", r.Body)
			e := errorOf(t, r)
			assert.Equal(t, tc.code, e.Code)
			assert.Regexp(t, `\p{Han}`, e.Message, "message in Chinese")
			for k, v := range tc.detail {
				assert.Equal(t, v, e.Details[k], "details.%s", k)
			}
			noJobs(t)
		})
	}
	t.Run("messages", func(t *testing.T) {
		assert.Equal(t, "文件超过 4 KB 上限，请拆分为多个文件后分批上传。", errorOf(t, postList(t, post, "big.csv", []byte(big))).Message)
		assert.Equal(t, "超过 200,000 行上限，请拆分为多个文件后分批上传。", errTooManyRows(200_000).Message)
		assert.Equal(t, "文件超过 50 MB 上限，请拆分为多个文件后分批上传。", errUploadTooLarge(DefaultMaxUploadBytes).Message)
	})
	t.Run("the body limit does not apply to uploads", func(t *testing.T) {
		list := "name,industry,construction,lon,lat\n" + strings.Repeat(strings.Repeat("项", 200)+",C2614,新建,106.569,29.553\n", 3)
		require.Greater(t, len(list), 1024+200)
		r := postList(t, post, "list.csv", []byte(list))
		require.Equal(t, http.StatusAccepted, r.Status, "body %s", r.Body)
		r = do(t, "POST", base+"/api/v1/check", `{"wkt": "POINT(106.5 29.5)", "layers": ["`+strings.Repeat("x", 2000)+`"]}`)
		assert.Equal(t, http.StatusRequestEntityTooLarge, r.Status, "other routes keep MaxBodyBytes")
	})
}

// An error from Open that is not an *Error answers 500 with the plain
// message; a download that fails before its first byte answers the error
// body, one that fails later is cut (the client sees a broken transfer).
func TestBatchInternalErrors(t *testing.T) {
	env := newBatchEnv(t, sampletest.Dataset(t), true, Config{}, fakeFiles{failAfter: 2})
	base := env.ts.URL
	r := postList(t, base+"/api/v1/batches", "list.csv", []byte(sampleList))
	require.Equal(t, http.StatusAccepted, r.Status, "body %s", r.Body)
	j := waitFinished(t, base, decodeJob(t, r).ID)

	// The cut comes before or after the headers reach the client,
	// depending on net/http's buffer; either way the client sees an error.
	res, err := http.Get(base + j.Links["result_csv"])
	if err == nil {
		defer res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode)
		_, err = io.ReadAll(res.Body)
	}
	assert.Error(t, err, "a download that fails half way is cut, not ended cleanly")

	env2 := newBatchEnv(t, sampletest.Dataset(t), false, Config{}, brokenFiles{})
	r = postList(t, env2.ts.URL+"/api/v1/batches", "list.csv", []byte(sampleList))
	assert.Equal(t, http.StatusInternalServerError, r.Status)
	assert.Equal(t, CodeInternal, errorOf(t, r).Code)
	r = do(t, "GET", env2.ts.URL+"/api/v1/batches/template.csv", "")
	assert.Equal(t, http.StatusInternalServerError, r.Status)
	assert.Empty(t, r.Header.Get("Content-Disposition"), "no attachment header on an error")
}

type brokenFiles struct{ fakeFiles }

func (brokenFiles) Open(string, io.Reader, BatchListOptions) (BatchList, error) {
	return nil, errors.New("disk on fire")
}
func (brokenFiles) WriteTemplate(io.Writer, string) error { return errors.New("disk on fire") }

func TestBatchTemplate(t *testing.T) {
	env := newBatchEnv(t, sampletest.Dataset(t), false, Config{}, nil)
	for _, tc := range []struct{ format, ctype string }{
		{"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"csv", "text/csv; charset=utf-8"},
	} {
		r := do(t, "GET", env.ts.URL+"/api/v1/batches/template."+tc.format, "")
		require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
		assert.Equal(t, tc.ctype, r.Header.Get("Content-Type"))
		assert.Equal(t, `attachment; filename="project-list-template.`+tc.format+`"; filename*=UTF-8''`+rfc5987("项目清单模板."+tc.format), r.Header.Get("Content-Disposition"))
		assert.Equal(t, tc.format+":name,industry,construction,lon,lat\n", string(r.Body))
	}
	// The static segment does not hide ids beside it.
	r := do(t, "GET", env.ts.URL+"/api/v1/batches/template.pdf", "")
	assert.Equal(t, CodeJobNotFound, errorOf(t, r).Code)
}

func TestBatchDisabled(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	for _, req := range [][2]string{
		{"GET", "/api/v1/batches"}, {"GET", "/api/v1/batches/x"}, {"DELETE", "/api/v1/batches/x"},
		{"GET", "/api/v1/batches/x/rows"}, {"GET", "/api/v1/batches/x/result.xlsx"}, {"GET", "/api/v1/batches/x/result.csv"},
		{"GET", "/api/v1/batches/x/result.geojson"}, {"GET", "/api/v1/batches/template.xlsx"}, {"GET", "/api/v1/batches/template.csv"},
	} {
		r := do(t, req[0], ts.URL+req[1], "")
		assert.Equal(t, http.StatusServiceUnavailable, r.Status, "%s %s", req[0], req[1])
		assert.Equal(t, CodeBatchDisabled, errorOf(t, r).Code)
	}
	r := postList(t, ts.URL+"/api/v1/batches", "list.csv", []byte(sampleList))
	assert.Equal(t, http.StatusServiceUnavailable, r.Status)
	assert.Equal(t, CodeBatchDisabled, errorOf(t, r).Code)
	// The page is served anyway; it shows the 503 message.
	assert.Equal(t, http.StatusOK, do(t, "GET", ts.URL+"/batch", "").Status)
}

func TestBatchPage(t *testing.T) {
	ts := newTestServer(t, New(staticSource{nil}, Config{}, nil))
	for _, tc := range []struct{ path, ctype, contains string }{
		{"/batch", "text/html; charset=utf-8", `id="batch-file"`},
		{"/batch.js", "text/javascript; charset=utf-8", "/api/v1/batches"},
		{"/batch.css", "text/css; charset=utf-8", "#batch-map"},
	} {
		r := do(t, "GET", ts.URL+tc.path, "")
		require.Equal(t, http.StatusOK, r.Status, tc.path)
		assert.Equal(t, tc.ctype, r.Header.Get("Content-Type"), tc.path)
		assert.Contains(t, string(r.Body), tc.contains, tc.path)
	}
	page := string(do(t, "GET", ts.URL+"/batch", "").Body)
	for _, id := range []string{"batch-form", "batch-file", "batch-name", "batch-buffer", "batch-submit", "batch-error",
		"batch-progress", "batch-progress-text", "batch-status", "batch-cancel", "batch-summary", "batch-downloads",
		"batch-download-xlsx", "batch-download-csv", "batch-download-geojson", "batch-row-errors", "batch-table",
		"batch-prev", "batch-next", "batch-map", "batch-jobs", "batch-template-xlsx", "batch-template-csv"} {
		assert.Contains(t, page, `id="`+id+`"`)
	}
	// The coordinate system: the Chongqing zones by name, a free field,
	// and the surveying convention said plainly.
	for _, want := range []string{`id="batch-crs"`, `name="crs"`, `id="batch-crs-other"`, `value="EPSG:4490" selected`, `value="EPSG:4326"`,
		`value="GCJ02"`, `value="BD09"`, `value="EPSG:4544"`, `value="EPSG:4545"`, `value="EPSG:4546"`, `value="EPSG:4523"`,
		`value="EPSG:4524"`, `value="EPSG:4525"`, `value="other"`, "<b>X 为北坐标</b>", "<b>Y 为东坐标</b>"} {
		assert.Contains(t, page, want)
	}
	for _, v := range regexp.MustCompile(`<option value="(EPSG:\d+|GCJ02|BD09)"`).FindAllStringSubmatch(page, -1) {
		c, err := crs.Parse(v[1])
		if assert.NoError(t, err, v[1]) {
			assert.Equal(t, v[1], c.Name, "the page sends canonical names")
		}
	}
	assert.Contains(t, page, `href="/"`, "a link back to the map page")
	assert.Contains(t, page, "/vendor/leaflet/leaflet.js")
	assert.NotContains(t, page, "http://")
	assert.NotContains(t, page, "https://")
	assert.Contains(t, string(do(t, "GET", ts.URL+"/", "").Body), `href="/batch"`, "the map page links to 批量筛查")
}

func TestBatchErrorCodes(t *testing.T) {
	want := map[string]int{
		CodeBatchDisabled: 503, CodeJobNotFound: 404, CodeUploadTooLarge: 413, CodeTooManyRows: 413, CodeJobNotFinished: 409,
		CodeUnsupportedList: 415, CodeEmptyList: 422, CodeNoSiteColumns: 422, CodeDuplicateColumn: 422, CodeCorruptList: 422,
		CodeBadEncoding: 422, CodeMissingFile: 400, CodeListTooLarge: 413,
	}
	for code, status := range want {
		_, ok := statuses[code]
		assert.True(t, ok, "%s is in the status table", code)
		assert.Equal(t, status, StatusOf(code), code)
	}
	e := BatchListError(CodeDuplicateColumn, "两列都是经度。", 1).(*Error)
	assert.Equal(t, map[string]any{"line": 1}, e.Details)
	assert.Nil(t, BatchListError(CodeBadEncoding, "编码无法识别。", 0).(*Error).Details)
}

func TestContentDisposition(t *testing.T) {
	tests := []struct{ name, fallback, want string }{
		{"results.csv", "x.csv", `attachment; filename="results.csv"; filename*=UTF-8''results.csv`},
		{"重庆 清单.csv", "x.csv", `attachment; filename="x.csv"; filename*=UTF-8''%E9%87%8D%E5%BA%86%20%E6%B8%85%E5%8D%95.csv`},
		{`a"b/c\d.csv`, "x.csv", `attachment; filename="a_b_c_d.csv"; filename*=UTF-8''a_b_c_d.csv`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, contentDisposition(tc.name, tc.fallback))
		})
	}
}

// exampleJobs are the ids of the jobs behind the OpenAPI examples.
const (
	exampleFinishedJob = "4f9c2d7e1a3b5c6d8e0f1a2b"
	exampleQueuedJob   = "7a1b2c3d4e5f60718293a4b5"
)

// exampleBatches is the batch store behind the OpenAPI request examples
// (on testDataset): a finished job (a point in the red line, a bad
// coordinate) and a queued one.
func exampleBatches(t *testing.T, d *admission.Dataset) *Batches {
	t.Helper()
	store, err := sqlstore.OpenSQLite(context.Background(), t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	ctx := context.Background()
	for _, id := range []string{exampleFinishedJob, exampleQueuedJob} {
		l, err := fakeFiles{}.Open("项目清单.csv", strings.NewReader("name,industry,construction,lon,lat\n红线内项目,C2614,新建,106.525,29.525\n坐标有误,C2614,新建,106.5x,29.5\n"), BatchListOptions{})
		require.NoError(t, err)
		_, err = store.Create(ctx, batch.Job{ID: id, Name: "项目清单", FileName: "项目清单.csv", Header: l.Header(), Options: batch.Options{NearbyM: batch.DefaultNearbyM}}, l.Rows(), 200, 0)
		require.NoError(t, err)
		if id == exampleFinishedJob {
			r := &batch.Runner{Store: store, Datasets: staticSource{d}, Worker: "example"}
			worked, err := r.Step(ctx)
			require.NoError(t, err)
			require.True(t, worked)
		}
	}
	j, err := store.Job(ctx, exampleFinishedJob)
	require.NoError(t, err)
	require.Equal(t, batch.StatusFinished, j.Status)
	return &Batches{Store: store, Files: fakeFiles{}}
}

// The row-error sample of a running job looks at its first rows only
// (liveErrorScanRows, 5,000; 50 here); once the job ends, the whole job
// is scanned (once, then cached, also under concurrent polls).
//
//	seq   0 … 25 | 26 … 51 | 52 … 59   chunks of 26 rows
//	               ^ seq 51: a bad coordinate
func TestBatchRowErrorSample(t *testing.T) {
	defer func(n int) { liveErrorScanRows = n }(liveErrorScanRows)
	liveErrorScanRows = 50
	env := newBatchEnv(t, sampletest.Dataset(t), false, Config{Batches: &Batches{ChunkSize: 26}}, nil)
	var list strings.Builder
	list.WriteString("name,industry,construction,lon,lat\n")
	for i := range 60 {
		if i == 51 {
			list.WriteString("坏,C2614,新建,x,39.9\n")
			continue
		}
		list.WriteString("北京,C2614,新建,116.4,39.9\n") // outside the data: a quick "none"
	}
	r := postList(t, env.ts.URL+"/api/v1/batches", "list.csv", []byte(list.String()))
	require.Equal(t, http.StatusAccepted, r.Status, "body %s", r.Body)
	id := decodeJob(t, r).ID
	for range 2 {
		_, err := env.runner.Step(context.Background())
		require.NoError(t, err)
	}
	j := decodeJob(t, do(t, "GET", env.ts.URL+"/api/v1/batches/"+id, ""))
	require.Equal(t, "running", j.Status)
	assert.Equal(t, 1, j.Counts["error"])
	assert.Empty(t, j.RowErrors, "the error is past the rows a running job's sample looks at")

	_, err := env.runner.Step(context.Background())
	require.NoError(t, err)
	var wg sync.WaitGroup
	got := make([][]rowErrorView, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := http.Get(env.ts.URL + "/api/v1/batches/" + id)
			if !assert.NoError(t, err) {
				return
			}
			defer res.Body.Close()
			var j apiJob
			assert.NoError(t, json.NewDecoder(res.Body).Decode(&j))
			got[i] = j.RowErrors
		}()
	}
	wg.Wait()
	for _, errs := range got {
		require.Len(t, errs, 1)
		assert.Equal(t, 53, errs[0].Line)
	}
}

// slowFiles takes its time opening and writing, as a large list does.
type slowFiles struct{ fakeFiles }

func (f slowFiles) Open(name string, r io.Reader, opts BatchListOptions) (BatchList, error) {
	time.Sleep(300 * time.Millisecond)
	return f.fakeFiles.Open(name, r, opts)
}

func (f slowFiles) WriteResults(w io.Writer, format string, job batch.Job, rows func(fn func(batch.Row, *batch.Result) error) error, clauses []batch.Clause) error {
	time.Sleep(300 * time.Millisecond)
	return f.fakeFiles.WriteResults(w, format, job, rows, clauses)
}

// Uploads and downloads get BatchTimeout, not RequestTimeout: with a
// 100 ms request timeout a 300 ms upload and download still succeed;
// other routes keep the short one.
func TestBatchTimeouts(t *testing.T) {
	env := newBatchEnv(t, sampletest.Dataset(t), true, Config{RequestTimeout: 100 * time.Millisecond, BatchTimeout: 10 * time.Second}, slowFiles{})
	r := postList(t, env.ts.URL+"/api/v1/batches", "list.csv", []byte(sampleList))
	require.Equal(t, http.StatusAccepted, r.Status, "body %s", r.Body)
	j := waitFinished(t, env.ts.URL, decodeJob(t, r).ID)
	r = do(t, "GET", env.ts.URL+j.Links["result_csv"], "")
	require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
	assert.Contains(t, string(r.Body), "化工厂")

	env = newBatchEnv(t, sampletest.Dataset(t), false, Config{RequestTimeout: 100 * time.Millisecond, BatchTimeout: 200 * time.Millisecond}, slowFiles{})
	r = postList(t, env.ts.URL+"/api/v1/batches", "list.csv", []byte(sampleList))
	require.Equal(t, http.StatusGatewayTimeout, r.Status, "body %s", r.Body)
	assert.Equal(t, CodeTimeout, errorOf(t, r).Code)
}

func TestBatchFormats(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{{5 * time.Minute, "5 分钟"}, {90 * time.Second, "90 秒"}, {1500 * time.Millisecond, "1.5s"}} {
		assert.Equal(t, tc.want, humanDuration(tc.d))
	}
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 200000: "200,000", 1234567: "1,234,567", -5000: "-5,000"} {
		assert.Equal(t, want, groupDigits(n))
	}
}

// dataFiles reads lists with package data's real reader (a test may
// import data; the web package may not), its errors as BatchListError.
type dataFiles struct{ fakeFiles }

type dataList struct{ l *data.ProjectList }

func (dataFiles) Open(name string, r io.Reader, opts BatchListOptions) (BatchList, error) {
	l, err := data.OpenProjectList(name, r, data.ListOptions{CRS: opts.CRS})
	if err != nil {
		return nil, dataListError(err)
	}
	return dataList{l}, nil
}

func dataListError(err error) error {
	var le *data.ListError
	if errors.As(err, &le) {
		return BatchListError(le.Code, le.Message, le.Line)
	}
	return err
}

func (d dataList) Header() batch.Header { return d.l.Header }
func (d dataList) Close() error         { return d.l.Close() }
func (d dataList) Rows() iter.Seq2[batch.Row, error] {
	return func(yield func(batch.Row, error) bool) {
		for r, err := range d.l.Rows() {
			if err != nil {
				err = dataListError(err)
			}
			if !yield(r, err) {
				return
			}
		}
	}
}

// A list in a Gauss-Krüger projection, uploaded with crs=EPSG:4545, is
// screened where the same point given in CGCS2000 longitude and latitude
// is: 渝中区's seat, a chemical plant (prohibited).
func TestBatchCRS(t *testing.T) {
	env := newBatchEnv(t, sampletest.Dataset(t), true, Config{}, dataFiles{})
	base := env.ts.URL
	gk, err := crs.Parse("EPSG:4545")
	require.NoError(t, err)
	seat := orb.Point{106.569, 29.553}
	q, err := gk.FromCGCS2000(seat)
	require.NoError(t, err)

	lonLat := "name,industry,construction,lon,lat\n化工厂,C2614,新建,106.569,29.553\n"
	// X is the northing, Y the easting (Chinese surveying).
	xy := fmt.Sprintf("name,industry,construction,X,Y\n化工厂,C2614,新建,%.4f,%.4f\n", q[1], q[0])

	r := postList(t, base+"/api/v1/batches", "经纬度.csv", []byte(lonLat))
	require.Equal(t, http.StatusAccepted, r.Status, "body %s", r.Body)
	a := decodeJob(t, r)
	assert.Equal(t, "EPSG:4490", a.Options.CRS, "the default is recorded")
	r = postList(t, base+"/api/v1/batches", "投影坐标.csv", []byte(xy), "crs", " epsg:4545 ")
	require.Equal(t, http.StatusAccepted, r.Status, "body %s", r.Body)
	checkDocumented(t, loadOpenAPI(t).Paths.Find("/api/v1/batches").Post, r, http.StatusAccepted)
	b := decodeJob(t, r)
	assert.Equal(t, "EPSG:4545", b.Options.CRS, "the canonical name is recorded")
	assert.Equal(t, map[string]int{"name": 0, "industry": 1, "construction": 2, "northing": 3, "easting": 4}, b.Header.Roles)

	a, b = waitFinished(t, base, a.ID), waitFinished(t, base, b.ID)
	rowsOf := func(j apiJob) map[string]any {
		r := do(t, "GET", base+j.Links["rows"], "")
		require.Equal(t, http.StatusOK, r.Status, "body %s", r.Body)
		var p struct{ Rows []map[string]any }
		require.NoError(t, json.Unmarshal(r.Body, &p))
		require.Len(t, p.Rows, 1)
		return p.Rows[0]
	}
	ra, rb := rowsOf(a), rowsOf(b)
	require.Nil(t, rb["error"], "%v", rb["error"])
	assert.Equal(t, admission.VerdictProhibited, ra["outcome"])
	for _, k := range []string{"outcome", "districts", "units", "red_line", "clauses"} {
		assert.Equal(t, ra[k], rb[k], k)
	}
	coords := rb["geometry"].(map[string]any)["coordinates"].([]any)
	assert.InDelta(t, seat[0], coords[0].(float64), 1e-7, "the row is kept in CGCS2000")
	assert.InDelta(t, seat[1], coords[1].(float64), 1e-7)

	// The same X/Y without crs: the row cannot be read, and says why.
	r = postList(t, base+"/api/v1/batches", "投影坐标.csv", []byte(xy))
	require.Equal(t, http.StatusAccepted, r.Status, "body %s", r.Body)
	c := waitFinished(t, base, decodeJob(t, r).ID)
	require.Len(t, c.RowErrors, 1)
	assert.Equal(t, "site", c.RowErrors[0].Column)
	assert.Contains(t, c.RowErrors[0].Message, "第 2 行：「X」「Y」是投影坐标")
}

func TestBatchUnknownCRS(t *testing.T) {
	env := newBatchEnv(t, sampletest.Dataset(t), false, Config{}, dataFiles{})
	r := postList(t, env.ts.URL+"/api/v1/batches", "list.csv", []byte(sampleList), "crs", "EPSG:3857")
	assert.Equal(t, http.StatusUnprocessableEntity, r.Status, "body %s", r.Body)
	e := errorOf(t, r)
	assert.Equal(t, CodeUnsupportedCRS, e.Code)
	assert.Contains(t, e.Message, `表单字段 crs（坐标系）：不支持的坐标系 "EPSG:3857"：EPSG:3857 是 Web 墨卡托投影（米）`)
	assert.Contains(t, e.Message, "可用的坐标系：EPSG:4490")
	assert.Equal(t, "crs", e.Details["parameter"])
	assert.Equal(t, "EPSG:3857", e.Details["value"])
	assert.NotEmpty(t, e.Details["accepted"])
	jobs, err := env.store.Jobs(context.Background(), 10)
	require.NoError(t, err)
	assert.Empty(t, jobs, "no job stored")

	for _, name := range []string{"", "CGCS2000", "wgs84", "GCJ-02", "bd09", "4523", "EPSG:4546"} {
		r := postList(t, env.ts.URL+"/api/v1/batches", "list.csv", []byte("name,lon,lat\n甲,106.5,29.5\n"), "crs", name)
		assert.Equal(t, http.StatusAccepted, r.Status, "crs %q: %s", name, r.Body)
	}
}
