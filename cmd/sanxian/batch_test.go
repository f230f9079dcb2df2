package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/sanxian/sanxian/crs"
)

// writeList writes a CSV project list of n rows spread over Chongqing
// (fixed seed): points, and every third row a ~300 m square parcel as
// WKT; row 5 has a bad coordinate.
func writeList(t *testing.T, n int, seed uint64) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	industries := []string{"C2614", "I6450", "C1713", "D4411", ""}
	var b strings.Builder
	b.WriteString("项目名称,行业代码,建设性质,经度,纬度,坐标串,备注\n")
	for i := 0; i < n; i++ {
		lon, lat := 105.6+rng.Float64()*3.5, 28.7+rng.Float64()*2.8
		ind := industries[i%len(industries)]
		switch {
		case i == 5:
			fmt.Fprintf(&b, "项目%d,%s,新建,106.5x,29.5,,坏坐标\n", i, ind)
		case i%3 == 0:
			d := 0.003
			fmt.Fprintf(&b, "项目%d,%s,新建,,,\"POLYGON((%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f,%.6f %.6f))\",地块\n", i, ind,
				lon, lat, lon+d, lat, lon+d, lat+d, lon, lat+d, lon, lat)
		default:
			fmt.Fprintf(&b, "项目%d,%s,扩建,%.6f,%.6f,,\n", i, ind, lon, lat)
		}
	}
	p := filepath.Join(t.TempDir(), "清单.csv")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

// uploadList posts a list to a server and returns the job id.
func uploadList(t *testing.T, base, path string) string {
	t.Helper()
	code, out := postList(t, base, path)
	require.Equal(t, http.StatusAccepted, code, "%s", out)
	var job struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(out, &job))
	return job.ID
}

// postList uploads a list and returns the status and body.
func postList(t *testing.T, base, path string) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", filepath.Base(path))
	require.NoError(t, err)
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = fw.Write(b)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	res, err := http.Post(base+"/api/v1/batches", mw.FormDataContentType(), &body)
	require.NoError(t, err)
	defer res.Body.Close()
	out, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, out
}

type jobStatus struct {
	Status string         `json:"status"`
	Total  int            `json:"total"`
	Done   int            `json:"done"`
	Counts map[string]int `json:"counts"`
}

func getJob(base, id string) (jobStatus, error) {
	var j jobStatus
	res, err := http.Get(base + "/api/v1/batches/" + id)
	if err != nil {
		return j, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return j, fmt.Errorf("status %d", res.StatusCode)
	}
	return j, json.NewDecoder(res.Body).Decode(&j)
}

func waitFinished(t *testing.T, base, id string, within time.Duration) jobStatus {
	t.Helper()
	var j jobStatus
	require.Eventually(t, func() bool {
		var err error
		j, err = getJob(base, id)
		return err == nil && j.Status == "finished"
	}, within, 50*time.Millisecond, "job %s not finished: %+v", id, j)
	return j
}

// resultRows downloads a job's CSV and returns its records by 行号,
// failing on a duplicate.
func resultRows(t *testing.T, base, id string) (header []string, byLine map[string][]string) {
	t.Helper()
	res, err := http.Get(base + "/api/v1/batches/" + id + "/result.csv")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	return readResultCSV(t, res.Body)
}

func readResultCSV(t *testing.T, r io.Reader) (header []string, byLine map[string][]string) {
	t.Helper()
	br := bufio.NewReader(r)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	recs, err := csv.NewReader(br).ReadAll()
	require.NoError(t, err)
	header = recs[0]
	col := -1
	for i, h := range header {
		if h == "行号" {
			col = i
		}
	}
	require.GreaterOrEqual(t, col, 0, "no 行号 column in %v", header)
	byLine = map[string][]string{}
	for _, r := range recs[1:] {
		_, dup := byLine[r[col]]
		require.False(t, dup, "line %s twice", r[col])
		byLine[r[col]] = r
	}
	return header, byLine
}

// outcomes returns 行号 → 筛查结论 of a result table.
func outcomes(header []string, byLine map[string][]string) map[string]string {
	col := -1
	for i, h := range header {
		if h == "筛查结论" {
			col = i
		}
	}
	out := map[string]string{}
	for k, r := range byLine {
		out[k] = r[col]
	}
	return out
}

// referenceRun screens the list with the `sanxian batch` binary (built
// without the race detector: it is the reference, not the code under
// test here) and returns its result table.
func referenceRun(t *testing.T, list string) (header []string, byLine map[string][]string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "参考.csv")
	cmd := exec.Command(sanxianBinary(t), "batch", list, "-o", out, "--quiet")
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", b)
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	return readResultCSV(t, f)
}

func TestBatchCLI(t *testing.T) {
	list := writeList(t, 60, 7)
	dir := t.TempDir()
	for _, name := range []string{"结果.xlsx", "结果.csv", "结果.geojson"} {
		out := filepath.Join(dir, name)
		code, stdout, stderr := runCmd(t, "batch", "--quiet", list, "-o", out)
		require.Equal(t, 0, code, "stderr: %s", stderr)
		assert.Contains(t, stdout, "共 60 行")
		assert.Contains(t, stdout, "无法筛查 1")
		st, err := os.Stat(out)
		require.NoError(t, err)
		assert.Greater(t, st.Size(), int64(1000))
	}
	header, rows := referenceRun(t, list)
	assert.Len(t, rows, 60)
	assert.Equal(t, "项目名称", header[0])
	assert.Equal(t, "无法筛查", outcomes(header, rows)["7"], "row 5 is line 7 and has a bad coordinate")

	// Usage errors and unreadable lists.
	code, _, stderr := runCmd(t, "batch", list)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "-o")
	code, _, stderr = runCmd(t, "batch", list, "-o", filepath.Join(dir, "x.pdf"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, ".xlsx")
	bad := filepath.Join(dir, "空.csv")
	require.NoError(t, os.WriteFile(bad, []byte("名称,备注\n甲,乙\n"), 0o644))
	code, _, stderr = runCmd(t, "batch", bad, "-o", filepath.Join(dir, "y.csv"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "经度")
	_, err := os.Stat(filepath.Join(dir, "y.csv"))
	assert.True(t, os.IsNotExist(err), "no result file for a failed run")
}

// Two jobs uploaded at once both finish, each with its own rows.
func TestBatchTwoConcurrentJobs(t *testing.T) {
	srv := startServe(t, "--batch-workers", "2")
	a, b := writeList(t, 150, 1), writeList(t, 90, 2)
	var ids [2]string
	var wg sync.WaitGroup
	for i, p := range []string{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i] = uploadList(t, srv.base, p)
		}()
	}
	wg.Wait()
	ja := waitFinished(t, srv.base, ids[0], 60*time.Second)
	jb := waitFinished(t, srv.base, ids[1], 60*time.Second)
	assert.Equal(t, 150, ja.Done)
	assert.Equal(t, 90, jb.Done)
	for i, p := range []string{a, b} {
		h, rows := resultRows(t, srv.base, ids[i])
		rh, ref := referenceRun(t, p)
		assert.Equal(t, outcomes(rh, ref), outcomes(h, rows))
	}
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// sanxianBinary builds the command once per test run (a real process is
// needed to kill -9 it).
func sanxianBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sanxian-bin-*")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "sanxian")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	require.NoError(t, binErr)
	return binPath
}

// proc is a sanxian serve running as its own process.
type proc struct {
	cmd    *exec.Cmd
	base   string
	stderr *syncBuffer
}

func startProc(t testing.TB, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(sanxianBinary(t), append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	stdout := &syncBuffer{}
	p := &proc{cmd: cmd, stderr: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = stdout, p.stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { p.kill() })
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(stdout.String())
		if m == nil {
			return false
		}
		p.base = "http://" + m[1]
		return true
	}, 60*time.Second, 20*time.Millisecond, "no listening line; stderr: %s", p.stderr.String())
	return p
}

// kill sends SIGKILL: no shutdown, no cleanup, like a power cut of the
// process.
func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Signal(syscall.SIGKILL)
		p.cmd.Wait()
	}
}

// TestBatchResumesAfterKill: kill -9 while a job runs; after a restart on
// the same state directory the job finishes, every row exactly once, with
// the same answers as an uninterrupted run.
func TestBatchResumesAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	state := t.TempDir()
	list := writeList(t, 3000, 3)
	p := startProc(t, "--state-dir", state, "--batch-workers", "1")
	id := uploadList(t, p.base, list)
	require.Eventually(t, func() bool {
		j, err := getJob(p.base, id)
		return err == nil && j.Done > 0
	}, 60*time.Second, 5*time.Millisecond)
	p.kill()
	_, err := getJob(p.base, id)
	require.Error(t, err, "the process is gone")

	p2 := startProc(t, "--state-dir", state, "--batch-workers", "2")
	var before jobStatus
	before, err = getJob(p2.base, id)
	require.NoError(t, err)
	t.Logf("after restart: %d of %d rows were done before the kill", before.Done, before.Total)
	assert.Less(t, before.Done, before.Total, "killed mid-job")
	done := waitFinished(t, p2.base, id, 120*time.Second)
	assert.Equal(t, 3000, done.Done)
	sum := 0
	for _, n := range done.Counts {
		sum += n
	}
	assert.Equal(t, 3000, sum, "counters count every row once")
	h, rows := resultRows(t, p2.base, id)
	require.Len(t, rows, 3000)
	rh, ref := referenceRun(t, list)
	assert.Equal(t, outcomes(rh, ref), outcomes(h, rows))
}

// `sanxian batch --crs EPSG:4545` reads X/Y (northing, easting) in that
// projection; a row's 坐标系 still overrides it; the result says which
// coordinate system the list was in.
func TestBatchCLICRS(t *testing.T) {
	gk, err := crs.Parse("EPSG:4545")
	require.NoError(t, err)
	seat := orb.Point{106.569, 29.553} // 渝中区's seat: a chemical plant there is prohibited
	q, err := gk.FromCGCS2000(seat)
	require.NoError(t, err)
	dir := t.TempDir()
	list := filepath.Join(dir, "投影坐标.csv")
	content := "项目名称,行业代码,建设性质,X,Y,经度,纬度,坐标系\n" +
		fmt.Sprintf("化工厂（X/Y）,C2614,新建,%.3f,%.3f,,,\n", q[1], q[0]) +
		"化工厂（经纬度）,C2614,新建,,,106.569,29.553,EPSG:4490\n" +
		fmt.Sprintf("X、Y 填反,C2614,新建,%.3f,%.3f,,,\n", q[0], q[1])
	require.NoError(t, os.WriteFile(list, []byte(content), 0o644))

	out := filepath.Join(dir, "结果.csv")
	code, stdout, stderr := runCmd(t, "batch", "--quiet", "--crs", "EPSG:4545", list, "-o", out)
	require.Equal(t, 0, code, "stdout %s stderr %s", stdout, stderr)
	f, err := os.Open(out)
	require.NoError(t, err)
	header, rows := readResultCSV(t, f)
	f.Close()
	res := outcomes(header, rows)
	assert.Equal(t, "禁止准入", res["2"], "X/Y in EPSG:4545")
	assert.Equal(t, "禁止准入", res["3"], "the row's 坐标系 overrides --crs")
	assert.Equal(t, "无法筛查", res["4"])
	assert.Contains(t, rows["4"][slices.Index(header, "错误")], "似乎填反了", "错误 names the swap")

	xlsx := filepath.Join(dir, "结果.xlsx")
	code, _, stderr = runCmd(t, "batch", "--quiet", "--crs", "cgcs2000_3_degree_gk_cm_108e", list, "-o", xlsx)
	require.Equal(t, 0, code, "stderr %s", stderr)
	wb, err := excelize.OpenFile(xlsx)
	require.NoError(t, err)
	summary, err := wb.GetRows("汇总")
	wb.Close()
	require.NoError(t, err)
	found := false
	for _, r := range summary {
		if len(r) >= 2 && r[0] == "清单坐标系" {
			found = true
			assert.Contains(t, r[1], "EPSG:4545")
		}
	}
	assert.True(t, found, "the summary names the list's coordinate system: %v", summary)

	gj := filepath.Join(dir, "结果.geojson")
	code, _, stderr = runCmd(t, "batch", "--quiet", "--crs=EPSG:4545", list, "-o", gj)
	require.Equal(t, 0, code, "stderr %s", stderr)
	b, err := os.ReadFile(gj)
	require.NoError(t, err)
	var fc struct {
		Job struct {
			CRS string `json:"crs"`
		} `json:"job"`
	}
	require.NoError(t, json.Unmarshal(b, &fc))
	assert.Equal(t, "EPSG:4545", fc.Job.CRS)

	// Without --crs the list is CGCS2000 longitude and latitude: X/Y rows
	// cannot be read, and say so.
	code, _, stderr = runCmd(t, "batch", "--quiet", list, "-o", out)
	require.Equal(t, 0, code, "stderr %s", stderr)
	f, err = os.Open(out)
	require.NoError(t, err)
	header, rows = readResultCSV(t, f)
	f.Close()
	assert.Equal(t, "无法筛查", outcomes(header, rows)["2"])
	assert.Contains(t, rows["2"][slices.Index(header, "错误")], "第 2 行：「X」「Y」是投影坐标")

	code, _, stderr = runCmd(t, "batch", "--crs", "EPSG:3857", list, "-o", out)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--crs：不支持的坐标系 \"EPSG:3857\"：EPSG:3857 是 Web 墨卡托投影（米）")
	assert.Contains(t, stderr, "可用的坐标系：")
}
