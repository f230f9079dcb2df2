package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Browser tests of the 批量筛查 page (/batch): upload a project list,
// follow the job to the end, the summary, row errors, table, map and
// downloads; progress and cancelling of a longer list; bad files.

// jsString is s as a JavaScript string literal.
func jsString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// watchConsole collects the page's uncaught exceptions (and logs its
// console errors) from now on; the returned func reports the exceptions
// so far.
func watchConsole(t *testing.T, ctx context.Context) func() []string {
	t.Helper()
	return collectConsole(t, ctx, func(m chromedp.ConsoleMessage) (string, bool) {
		return m.Text, m.Type == chromedp.ConsoleException
	})
}

// collectConsole subscribes to the tab's console from now on, across
// navigations: messages keep says yes to are collected (as it words
// them), other console errors are logged while the test runs. The
// function returned gives what was collected so far.
func collectConsole(t *testing.T, ctx context.Context, keep func(chromedp.ConsoleMessage) (string, bool)) func() []string {
	t.Helper()
	var (
		mu      sync.Mutex
		found   []string
		stopped bool // no t.Logf once the test is over
	)
	t.Cleanup(func() { mu.Lock(); stopped = true; mu.Unlock() })
	msgs := chromedp.Console(ctx) // subscribes now
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			mu.Lock()
			if !stopped {
				if text, ok := keep(m); ok {
					found = append(found, text)
				} else if m.Type == chromedp.ConsoleError {
					t.Logf("console error: %s (%s)", m.Text, m.URL)
				}
			}
			mu.Unlock()
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), found...)
	}
}

// openBatch opens /batch (with query, e.g. "?job=…") at 1280×800 and
// waits until batch.js has made its map and read the job list.
func openBatch(t *testing.T, ctx context.Context, base, query string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/batch"+query)))
	waitBatchReady(t, ctx)
}

func waitBatchReady(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!window.sanxianBatchMap && !document.getElementById("batch-jobs").textContent.includes("正在读取")`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	require.NoError(t, err, "batch.js did not start (no map, or the job list never loaded)")
}

// chooseAndSubmit sets the file input to path, waits for the page to show
// the file name, and clicks 开始筛查. It returns the time of the click.
func chooseAndSubmit(t *testing.T, ctx context.Context, path string) time.Time {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#batch-file"), []string{path})))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("batch-filename").textContent.startsWith(`+jsString(filepath.Base(path))+`)`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err, "the chosen file's name is not shown")
	start := time.Now()
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#batch-submit"))))
	return start
}

// waitBatchStatus polls #batch-status every 50 ms until it contains want
// and returns its text.
func waitBatchStatus(t *testing.T, ctx context.Context, want string, within time.Duration) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.getElementById("batch-status").textContent; return t.includes(`+jsString(want)+`) ? t : null })()`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(within)))
	if err != nil {
		now, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("batch-status").textContent + " | " + document.getElementById("batch-progress-text").textContent + " | " + document.getElementById("batch-error").textContent`))
		require.NoError(t, err, "#batch-status never read %q; it reads %q", want, now)
	}
	return s
}

// waitFinishedView waits until the finished (or cancelled) job's view is
// drawn: summary cards, the first page of the table and sites on the map.
func waitFinishedView(t *testing.T, ctx context.Context, within time.Duration) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll("#batch-summary .card").length > 0
		&& !document.getElementById("batch-results").hidden
		&& !document.getElementById("batch-downloads").hidden
		&& document.querySelectorAll("#batch-table tbody tr[data-line]").length > 0
		&& document.querySelectorAll("#batch-map .leaflet-overlay-pane path.leaflet-interactive").length > 0`,
		chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(within)))
	require.NoError(t, err, "the finished view (summary, table, map) was not drawn")
}

// groupThousands writes n as the page does (zh-CN): 24000 → "24,000".
func groupThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// jobFromURL returns the ?job= of the page's URL.
func jobFromURL(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	require.NoError(t, err)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	assert.Equal(t, "/batch", u.Path)
	return u.Query().Get("job")
}

// listJobIDs asks the API for its jobs, newest first.
func listJobIDs(t *testing.T, base string) []string {
	t.Helper()
	res, err := http.Get(base + "/api/v1/batches")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var l struct {
		Jobs []struct {
			ID string `json:"id"`
		} `json:"jobs"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&l))
	ids := make([]string, 0, len(l.Jobs))
	for _, j := range l.Jobs {
		ids = append(ids, j.ID)
	}
	return ids
}

// summaryCounts reads the summary cards: outcome → count.
func summaryCounts(t *testing.T, ctx context.Context) map[string]int {
	t.Helper()
	cards, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll("#batch-summary .card")].map(c => [c.dataset.outcome, c.querySelector(".n").textContent]))`))
	require.NoError(t, err)
	out := map[string]int{}
	for o, s := range cards {
		n, err := strconv.Atoi(strings.NewReplacer(",", "", " ", "", "\u00a0", "").Replace(s))
		require.NoError(t, err, "summary card %s reads %q", o, s)
		out[o] = n
	}
	return out
}

// fetchDownload GETs a download link of the page from Go and returns the
// response's status, content type, disposition and body.
func fetchDownload(t *testing.T, base, href string) (int, string, string, []byte) {
	t.Helper()
	res, err := http.Get(base + href)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"), b
}

// checkDownloads checks the three result links of job id: their hrefs,
// and that each answers 200 with its content type and a file. It returns
// the CSV's rows by 行号.
func checkDownloads(t *testing.T, ctx context.Context, base, id string) map[string][]string {
	t.Helper()
	links, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`Object.fromEntries(["xlsx", "csv", "geojson"].map(f => { const a = document.getElementById("batch-download-" + f); return [f, a.getAttribute("href") + "|" + a.hasAttribute("download") + "|" + (a.offsetParent !== null)] }))`))
	require.NoError(t, err)
	types := map[string]string{
		"xlsx":    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"csv":     "text/csv; charset=utf-8",
		"geojson": "application/geo+json",
	}
	var csvRows map[string][]string
	for _, f := range []string{"xlsx", "csv", "geojson"} {
		parts := strings.Split(links[f], "|")
		require.Len(t, parts, 3, f)
		href := parts[0]
		assert.Equal(t, "/api/v1/batches/"+id+"/result."+f, href, "href of #batch-download-%s", f)
		assert.Equal(t, "true", parts[1], "#batch-download-%s has the download attribute", f)
		assert.Equal(t, "true", parts[2], "#batch-download-%s is visible", f)
		fetchStart := time.Now()
		code, ct, cd, body := fetchDownload(t, base, href)
		t.Logf("GET %s: %d bytes in %s", href, len(body), time.Since(fetchStart).Round(time.Millisecond))
		require.Equal(t, http.StatusOK, code, "GET %s: %s", href, body)
		assert.Equal(t, types[f], ct, "content type of %s", href)
		assert.True(t, strings.HasPrefix(cd, "attachment;"), "Content-Disposition of %s: %q", href, cd)
		assert.Contains(t, cd, "filename*=UTF-8''", "Content-Disposition of %s", href)
		switch f {
		case "xlsx":
			assert.True(t, strings.HasPrefix(string(body), "PK\x03\x04"), "the xlsx is a zip")
		case "csv":
			_, csvRows = readResultCSV(t, strings.NewReader(string(body)))
		case "geojson":
			var fc struct {
				Type     string            `json:"type"`
				Features []json.RawMessage `json:"features"`
			}
			require.NoError(t, json.Unmarshal(body, &fc), "the GeoJSON parses")
			assert.Equal(t, "FeatureCollection", fc.Type)
			assert.NotEmpty(t, fc.Features)
		}
	}
	return csvRows
}

// rowsWithGeometry asks the API how many rows of the page (offset, limit)
// have a geometry, i.e. should be drawn on the map.
func rowsWithGeometry(t *testing.T, base, id string, offset, limit int) int {
	t.Helper()
	res, err := http.Get(fmt.Sprintf("%s/api/v1/batches/%s/rows?offset=%d&limit=%d", base, id, offset, limit))
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var page struct {
		Rows []struct {
			Geometry json.RawMessage `json:"geometry"`
		} `json:"rows"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&page))
	n := 0
	for _, r := range page.Rows {
		if len(r.Geometry) > 0 && string(r.Geometry) != "null" {
			n++
		}
	}
	return n
}

// logJobTimes logs where the time from submit to 已完成 went: the upload
// request as the browser timed it, the wait in the queue and the run, by
// the job's own timestamps.
func logJobTimes(t *testing.T, ctx context.Context, base, id string) {
	t.Helper()
	res, err := http.Get(base + "/api/v1/batches/" + id)
	require.NoError(t, err)
	defer res.Body.Close()
	var j struct {
		CreatedAt  time.Time  `json:"created_at"`
		StartedAt  *time.Time `json:"started_at"`
		FinishedAt *time.Time `json:"finished_at"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&j))
	// The second fetch of /api/v1/batches is the POST: the first is the
	// job list read when the page opened.
	upload, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`(() => { const e = performance.getEntriesByType("resource").filter(e => e.initiatorType === "fetch" && new URL(e.name).pathname === "/api/v1/batches")[1]; return e ? e.duration : -1 })()`))
	require.NoError(t, err)
	queued, ran := time.Duration(-1), time.Duration(-1)
	if j.StartedAt != nil {
		queued = j.StartedAt.Sub(j.CreatedAt)
		if j.FinishedAt != nil {
			ran = j.FinishedAt.Sub(*j.StartedAt)
		}
	}
	t.Logf("job %s: upload request %.0f ms; created→started %s; started→finished %s", id, upload,
		queued.Round(time.Millisecond), ran.Round(time.Millisecond))
}

// tableRow is a row of #batch-table as the page drew it.
type tableRow struct {
	Line     string   `json:"line"`
	Cells    []string `json:"cells"`
	Badge    string   `json:"badge"`    // the class of the 结论 badge
	BadgeBG  string   `json:"badgeBg"`  // its computed background colour
	CellBG   string   `json:"cellBg"`   // the computed background of the 结论 cell
	Selected bool     `json:"selected"` // has .selected
}

const tableRowsJS = `[...document.querySelectorAll("#batch-table tbody tr[data-line]")].map(r => {
	const b = r.cells[2].querySelector(".badge");
	return { line: r.dataset.line, cells: [...r.cells].map(c => c.textContent), badge: b ? b.className : "",
		badgeBg: b ? getComputedStyle(b).backgroundColor : "", cellBg: getComputedStyle(r.cells[2]).backgroundColor,
		selected: r.classList.contains("selected") };
})`

// verdictBackgrounds are the badge fills of batch.css (.v-*), as computed.
var verdictBackgrounds = map[string]string{
	"v-prohibited":   "rgb(253, 232, 232)",
	"v-restricted":   "rgb(255, 244, 229)",
	"v-review":       "rgb(238, 242, 255)",
	"v-insufficient": "rgb(250, 245, 255)",
	"v-compatible":   "rgb(232, 247, 238)",
	"v-none":         "rgb(240, 244, 248)",
	"v-error":        "rgb(245, 245, 245)",
}

var jobIDPattern = regexp.MustCompile(`^[0-9a-f]{24}$`)

// TestBatchPageUpload: a 300-row list uploaded on the page runs to 已完成;
// the URL names the job; the summary, the row errors, the table, the map
// and the downloads show it; a table row can be selected; a reload of
// ?job= shows the finished job again without uploading; the page fits a
// phone's width.
func TestBatchPageUpload(t *testing.T) {
	srv := startServe(t, "--batch-workers", "2")
	base := srv.base
	ctx := browser(t)
	exceptions := watchConsole(t, ctx)
	openBatch(t, ctx, base, "")

	title, err := chromedp.Run(ctx, chromedp.Title())
	require.NoError(t, err)
	assert.Equal(t, "sanxian · 批量筛查", title)
	start, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({
		xlsx: document.getElementById("batch-template-xlsx").getAttribute("href"),
		csv: document.getElementById("batch-template-csv").getAttribute("href"),
		jobHidden: String(document.getElementById("batch-job").hidden),
		jobs: document.getElementById("batch-jobs").textContent,
		limits: document.getElementById("batch-limit-bytes").textContent + "|" + document.getElementById("batch-limit-rows").textContent,
	})`))
	require.NoError(t, err)
	assert.Equal(t, "/api/v1/batches/template.xlsx", start["xlsx"])
	assert.Equal(t, "/api/v1/batches/template.csv", start["csv"])
	assert.Equal(t, "true", start["jobHidden"], "no job shown before an upload")
	assert.Equal(t, "还没有任务。", start["jobs"])
	assert.Equal(t, "50 MB|200,000", start["limits"], "the limits the server states in <meta>")
	for f, ct := range map[string]string{"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv; charset=utf-8"} {
		code, gotCT, cd, body := fetchDownload(t, base, start[f])
		assert.Equal(t, http.StatusOK, code, "template %s: %s", f, body)
		assert.Equal(t, ct, gotCT, "template %s", f)
		assert.Contains(t, cd, "attachment;", "template %s", f)
	}

	list := writeList(t, 300, 11)
	submitted := chooseAndSubmit(t, ctx, list)
	// The bar shows progress (value > 0), then the status reads 已完成.
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("batch-progress").value > 0`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(60*time.Second)))
	require.NoError(t, err, "the progress bar never moved")
	status := waitBatchStatus(t, ctx, "已完成", 60*time.Second)
	finishedAt := time.Now()
	waitFinishedView(t, ctx, 20*time.Second)
	drawnAt := time.Now()
	t.Logf("300 rows: submit to 已完成 %s; 已完成 to the finished view drawn (summary, table, map) %s",
		finishedAt.Sub(submitted).Round(time.Millisecond), drawnAt.Sub(finishedAt).Round(time.Millisecond))
	assert.Regexp(t, `^状态：已完成，用时 [0-9.]+ 秒$`, status)

	id := jobFromURL(t, ctx)
	require.Regexp(t, jobIDPattern, id, "?job= in the URL")
	assert.Equal(t, []string{id}, listJobIDs(t, base), "the job of the URL is the one uploaded")
	api, err := getJob(base, id)
	require.NoError(t, err)
	assert.Equal(t, "finished", api.Status)
	logJobTimes(t, ctx, base, id)

	bar, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[document.getElementById("batch-progress").value, document.getElementById("batch-progress").max]`))
	require.NoError(t, err)
	assert.Equal(t, bar[1], bar[0], "the bar is full when the job is done")
	progress, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#batch-progress-text")))
	require.NoError(t, err)
	assert.Equal(t, "已完成 300 / 300 行（100.0%）", progress)
	head, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({
		title: document.getElementById("batch-job-title").textContent,
		meta: document.getElementById("batch-meta").textContent,
		cancel: String(document.getElementById("batch-cancel").hidden),
		upload: document.getElementById("batch-upload-status").textContent,
		file: document.getElementById("batch-filename").textContent,
		current: [...document.querySelectorAll("#batch-jobs a[aria-current=true]")].map(a => a.dataset.job + "|" + a.textContent).join(";"),
	})`))
	require.NoError(t, err)
	assert.Equal(t, "清单", head["title"], "the job is named after the file")
	assert.Contains(t, head["meta"], "文件：清单.csv")
	assert.Contains(t, head["meta"], "经度→经度")
	assert.Equal(t, "true", head["cancel"], "no 取消任务 on a finished job")
	t.Logf("upload status once finished: %q", head["upload"])
	assert.Equal(t, "未选择文件", head["file"], "the form was reset")
	assert.True(t, strings.HasPrefix(head["current"], id+"|清单300 行 · 已完成"), "the job list marks the job: %q", head["current"])

	// Summary: the cards count every row once; one row cannot be screened.
	counts := summaryCounts(t, ctx)
	sum := 0
	for _, n := range counts {
		sum += n
	}
	assert.Equal(t, 300, sum, "summary counts %v", counts)
	assert.Equal(t, 1, counts["error"], "无法筛查 (row 5 of the list has a bad coordinate)")
	assert.Equal(t, api.Counts, counts, "the cards show the API's counts")
	errCard, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#batch-summary .card[data-outcome="error"]`)))
	require.NoError(t, err)
	assert.Contains(t, errCard, "无法筛查")

	// Row errors: line 7, column 经度.
	errRows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](`[...document.querySelectorAll("#batch-row-errors tbody tr")].map(r => [...r.cells].map(c => c.textContent))`))
	require.NoError(t, err)
	require.Len(t, errRows, 1, "#batch-row-errors rows")
	assert.Equal(t, "7", errRows[0][0])
	assert.Equal(t, "经度", errRows[0][1])
	assert.NotEmpty(t, errRows[0][2], "the error message")
	errHead, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#batch-row-errors h3")))
	require.NoError(t, err)
	assert.Equal(t, "无法筛查的行（共 1 行）", errHead)

	// The table's first page: 100 rows, each verdict a coloured badge.
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]tableRow](tableRowsJS))
	require.NoError(t, err)
	require.Len(t, rows, 100, "first page of the table")
	pager, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#batch-page")))
	require.NoError(t, err)
	assert.Equal(t, "第 1–100 行（数据行），共 300 行", pager)
	seen := map[string]int{}
	for i, r := range rows {
		assert.Equal(t, strconv.Itoa(i+2), r.Line, "rows in file order from line 2")
		require.Len(t, r.Cells, 9)
		cls := strings.TrimPrefix(r.Badge, "badge ")
		seen[cls]++
		want, ok := verdictBackgrounds[cls]
		if assert.True(t, ok, "line %s: badge class %q", r.Line, r.Badge) {
			assert.Equal(t, want, r.BadgeBG, "line %s: background of the %s badge", r.Line, cls)
		}
		assert.NotContains(t, []string{"", "transparent", "rgba(0, 0, 0, 0)"}, r.BadgeBG, "line %s: 结论 not coloured", r.Line)
		if r.Line == "7" {
			assert.Equal(t, "v-error", cls)
			assert.Equal(t, "无法筛查", r.Cells[2])
			assert.NotEmpty(t, r.Cells[8], "line 7: the 错误 column")
		} else {
			assert.Empty(t, r.Cells[8], "line %s: no error", r.Line)
		}
	}
	t.Logf("verdict badges on the first page: %v", seen)
	assert.GreaterOrEqual(t, len(seen), 3, "several verdicts on the first page")

	// The map draws the page's sites (districts are not interactive).
	wantSites := rowsWithGeometry(t, base, id, 0, 100)
	sites, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#batch-map .leaflet-overlay-pane path.leaflet-interactive").length`))
	require.NoError(t, err)
	assert.Greater(t, sites, 0, "sites on the map")
	assert.Equal(t, wantSites, sites, "one path or circle marker per row with a geometry")
	legend, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#batch-map .legend")))
	require.NoError(t, err)
	for _, w := range []string{"图例", "禁止准入", "符合准入要求", "无法筛查", "未完成"} {
		assert.Contains(t, legend, w)
	}

	// Downloads.
	csvRows := checkDownloads(t, ctx, base, id)
	assert.Len(t, csvRows, 300, "rows in the CSV download")
	note, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#batch-download-note")))
	require.NoError(t, err)
	assert.Contains(t, note, "Excel 含汇总")

	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`)))
	saveScreenshot(t, ctx, "batch-finished.png")
	full, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	saveArtifact(t, t.TempDir(), "batch-finished-full.png", full)

	// Clicking a row selects it (and only it) and outlines its site.
	for _, line := range []string{"3", "4"} {
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#batch-table tbody tr[data-line="`+line+`"]`))))
		rows, err = chromedp.Run(ctx, chromedp.Evaluate[[]tableRow](tableRowsJS))
		require.NoError(t, err)
		var selected []string
		for _, r := range rows {
			if r.Selected {
				selected = append(selected, r.Line)
			}
		}
		assert.Equal(t, []string{line}, selected, "rows with .selected after clicking line %s", line)
		sel, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`(() => {
			const r = document.querySelector("#batch-table tbody tr.selected");
			return { bg: getComputedStyle(r).backgroundColor, aria: r.getAttribute("aria-selected"),
				outlined: String(document.querySelectorAll('#batch-map path.leaflet-interactive[stroke="#ff6f00"]').length) };
		})()`))
		require.NoError(t, err)
		assert.Equal(t, "rgb(255, 243, 196)", sel["bg"], "the selected row is highlighted")
		assert.Equal(t, "true", sel["aria"])
		assert.Equal(t, "1", sel["outlined"], "the selected site is outlined in orange on the map")
	}
	saveScreenshot(t, ctx, "batch-selected.png")

	// A reload of ?job= shows the finished job again, with no new upload.
	reloadStart := time.Now()
	require.NoError(t, chromedp.Do(ctx, chromedp.Reload()))
	waitBatchReady(t, ctx)
	waitBatchStatus(t, ctx, "已完成", 20*time.Second)
	waitFinishedView(t, ctx, 20*time.Second)
	t.Logf("reload of ?job= to the finished view drawn: %s", time.Since(reloadStart).Round(time.Millisecond))
	assert.Equal(t, id, jobFromURL(t, ctx))
	assert.Equal(t, []string{id}, listJobIDs(t, base), "the reload uploaded nothing")
	assert.Equal(t, api.Counts, summaryCounts(t, ctx), "summary after the reload")
	rows, err = chromedp.Run(ctx, chromedp.Evaluate[[]tableRow](tableRowsJS))
	require.NoError(t, err)
	assert.Len(t, rows, 100, "table after the reload")
	again, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({
		title: document.getElementById("batch-job-title").textContent,
		errors: String(document.querySelectorAll("#batch-row-errors tbody tr").length),
		xlsx: document.getElementById("batch-download-xlsx").getAttribute("href"),
		upload: document.getElementById("batch-upload-status").textContent,
		current: [...document.querySelectorAll("#batch-jobs a[aria-current=true]")].map(a => a.dataset.job).join(";"),
	})`))
	require.NoError(t, err)
	assert.Equal(t, "清单", again["title"])
	assert.Equal(t, "1", again["errors"])
	assert.Equal(t, "/api/v1/batches/"+id+"/result.xlsx", again["xlsx"])
	assert.Empty(t, again["upload"], "no upload status after a reload")
	// Logged, not asserted: loadJobs marks the job only if the job's own
	// answer came before the list's (it tests `current`, null until then).
	t.Logf("job list entries marked aria-current after the reload: %q", again["current"])

	// Phone width: no sideways scrolling of the page.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Sleep(300*time.Millisecond)))
	box, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(() => {
		const wide = [...document.querySelectorAll("body *")].filter(e => e.offsetParent !== null && !e.closest(".tablewrap, .leaflet-container") && e.getBoundingClientRect().right > innerWidth + 0.5);
		window.sanxianWide = wide.map(e => (e.id ? "#" + e.id : e.tagName.toLowerCase() + (e.className ? "." + String(e.className).split(" ")[0] : "")) + " right=" + Math.round(e.getBoundingClientRect().right));
		const m = document.getElementById("batch-map").getBoundingClientRect(), tw = document.querySelector(".tablewrap");
		return { scrollW: document.documentElement.scrollWidth, innerW: innerWidth, mapW: m.width, tableClientW: tw.clientWidth, tableScrollW: tw.scrollWidth, wide: wide.length };
	})()`))
	require.NoError(t, err)
	t.Logf("phone layout: %v", box)
	if box["wide"] > 0 {
		wide, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.sanxianWide`))
		t.Logf("elements past the right edge: %v", wide)
	}
	assert.Equal(t, 390.0, box["innerW"])
	assert.LessOrEqual(t, box["scrollW"], box["innerW"], "the page scrolls sideways at 390 px")
	assert.Zero(t, box["wide"], "elements past the right edge at 390 px")
	assert.LessOrEqual(t, box["mapW"], 390.0)
	assert.Greater(t, box["tableScrollW"], box["tableClientW"], "the table scrolls sideways in its box")
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`scrollTo(0, 0)`)))
	saveScreenshot(t, ctx, "batch-phone.png")
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("batch-summary").scrollIntoView()`)))
	saveScreenshot(t, ctx, "batch-phone-summary.png")
	assert.Empty(t, exceptions(), "uncaught exceptions on the page")
}

// progressLists are the lengths of the lists TestBatchPageProgress tries,
// the next when a job ends before it could be cancelled. One worker does
// about 700 rows/s with -race and 4,000–7,000 without on a 2-CPU machine;
// the page polls once a second, so the job must run for several seconds.
// The first is short enough for the downloads of a cancelled job (every
// row, ~16 s with -race) to fit browser(t)'s 60 s.
var progressLists = []int{24000, 120000}

// TestBatchPageProgress: a long list on one worker is followed while
// it runs: the bar only moves forward and shows 进行中 part way; 取消任务
// stops it at 已取消, and what was done can still be downloaded.
func TestBatchPageProgress(t *testing.T) {
	srv := startServe(t, "--batch-workers", "1")
	base := srv.base
	// Two lists followed to 进行中 and a cancelled job's three downloads
	// through one browser: 20–30 s on a quiet machine, 69 s measured on
	// a CI machine under heavy load (the downloads alone took 51 s).
	const allowed = 3 * time.Minute
	ctx := browserWithin(t, allowed)
	began := time.Now()
	t.Cleanup(func() {
		t.Logf("browser time used: %s of the %s allowed", time.Since(began).Round(time.Millisecond), allowed)
	})
	exceptions := watchConsole(t, ctx)
	const intermediate = `sanxianSamples.filter(s => s.status.includes("进行中") && s.value > 0 && s.value < s.max)`
	var (
		id   string
		rows int
	)
	for _, n := range progressLists {
		openBatch(t, ctx, base, "")
		// Sample the bar and the status every 50 ms in the page, and note
		// when the answers of the page's progress polls arrive.
		require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
			const bar = document.getElementById("batch-progress"), st = document.getElementById("batch-status");
			window.sanxianSamples = [];
			window.sanxianSampler = setInterval(() => sanxianSamples.push({ t: performance.now(), value: bar.value, max: bar.max, status: st.textContent, cancel: !document.getElementById("batch-cancel").hidden }), 50);
			window.sanxianPolls = [];
			new PerformanceObserver((l) => {
				for (const e of l.getEntries()) if (/^\/api\/v1\/batches\/[0-9a-f]+$/.test(new URL(e.name).pathname)) sanxianPolls.push(e.responseEnd);
			}).observe({ type: "resource" });
		})()`)))
		start := chooseAndSubmit(t, ctx, writeList(t, n, 12))
		state, err := chromedp.Run(ctx, chromedp.Poll[string](``+intermediate+`.length > 0 ? "running" : document.getElementById("batch-status").textContent.includes("已完成") ? "finished" : null`,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(45*time.Second)))
		require.NoError(t, err, "no 进行中 state with the bar part way")
		if state == "finished" {
			t.Logf("%d rows: finished before the page saw it run; trying a longer list", n)
			continue
		}
		t.Logf("%d rows: submit to the first intermediate state %s", n, time.Since(start).Round(time.Millisecond))
		// Cancel at once, just after a progress poll was answered, so that
		// no poll is in flight during the DELETE: an answer arriving after
		// the DELETE's would show 进行中 again for a second (a race of
		// batch.js, not tested here).
		_, err = chromedp.Run(ctx, chromedp.Poll[bool](`sanxianPolls.length > 0 && performance.now() - sanxianPolls[sanxianPolls.length - 1] < 150`,
			chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
		require.NoError(t, err, "no progress poll answered")
		id = jobFromURL(t, ctx)
		require.Regexp(t, jobIDPattern, id)
		before, err := getJob(base, id)
		require.NoError(t, err)
		if before.Status != "running" {
			t.Logf("%d rows: %s before it could be cancelled; trying a longer list", n, before.Status)
			continue
		}
		t.Logf("cancelling %s after submit, at %d of %d rows", time.Since(start).Round(time.Millisecond), before.Done, before.Total)
		rows = n
		break
	}
	require.NotZero(t, rows, "every list finished before it could be cancelled: add a longer one to progressLists")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#batch-cancel"))))
	cancelled := waitBatchStatus(t, ctx, "已取消", 10*time.Second)
	assert.Equal(t, "状态：已取消（已完成的行保留，可下载）", cancelled)
	// Keep sampling a while: nothing may bring back 进行中 after 已取消.
	require.NoError(t, chromedp.Do(ctx, chromedp.Sleep(2500*time.Millisecond)))
	type sample struct {
		T      float64 `json:"t"`
		Value  float64 `json:"value"`
		Max    float64 `json:"max"`
		Status string  `json:"status"`
		Cancel bool    `json:"cancel"`
	}
	samples, err := chromedp.Run(ctx, chromedp.Evaluate[[]sample](`(clearInterval(sanxianSampler), sanxianSamples)`))
	require.NoError(t, err)
	require.NotEmpty(t, samples)
	var values []float64
	sawIntermediate, sawCancelled := false, false
	for i, s := range samples {
		if len(values) == 0 || values[len(values)-1] != s.Value {
			values = append(values, s.Value)
		}
		if i > 0 {
			assert.GreaterOrEqual(t, s.Value, samples[i-1].Value, "the bar went back at %.0f ms: %q after %q", s.T, s.Status, samples[i-1].Status)
		}
		if strings.Contains(s.Status, "进行中") && s.Value > 0 && s.Value < s.Max {
			sawIntermediate = true
		}
		if strings.Contains(s.Status, "已取消") {
			sawCancelled = true
		} else if sawCancelled {
			assert.Fail(t, "status changed after 已取消", "at %.0f ms: %q, 取消任务 shown: %v", s.T, s.Status, s.Cancel)
		}
	}
	t.Logf("%d samples; distinct bar values: %v", len(samples), values)
	assert.True(t, sawIntermediate, "an intermediate 进行中 state")
	require.GreaterOrEqual(t, len(values), 2, "the bar moved")
	assert.Zero(t, values[0], "the bar starts empty")

	after, err := getJob(base, id)
	require.NoError(t, err)
	assert.Equal(t, "cancelled", after.Status)
	assert.Less(t, after.Done, after.Total, "cancelled part way")
	t.Logf("cancelled at %d of %d rows", after.Done, after.Total)
	assert.Equal(t, float64(after.Done)/float64(after.Total), values[len(values)-1], "the bar ends at the cancelled job's progress")
	waitFinishedView(t, ctx, 20*time.Second)
	ui, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({
		cancel: String(document.getElementById("batch-cancel").hidden),
		note: document.getElementById("batch-download-note").textContent,
		progress: document.getElementById("batch-progress-text").textContent,
	})`))
	require.NoError(t, err)
	assert.Equal(t, "true", ui["cancel"], "取消任务 hidden once cancelled")
	assert.Contains(t, ui["note"], "任务已取消")
	assert.Contains(t, ui["progress"], fmt.Sprintf("/ %s 行", groupThousands(rows)))
	dlStart := time.Now()
	csvRows := checkDownloads(t, ctx, base, id)
	t.Logf("the three downloads of the cancelled job: %s", time.Since(dlStart).Round(time.Millisecond))
	assert.Len(t, csvRows, rows, "a cancelled job's CSV has every row")
	pending := 0
	for _, r := range csvRows {
		for _, c := range r {
			if c == "未完成" {
				pending++
				break
			}
		}
	}
	assert.Greater(t, pending, 0, "rows not done are marked 未完成 in the CSV")
	saveScreenshot(t, ctx, "batch-cancelled.png")
	assert.Empty(t, exceptions(), "uncaught exceptions on the page")
}

// TestBatchPageBadFile: a CSV without coordinate columns gets the API's
// Chinese message under the form and makes no job; a .pdf is refused
// before uploading.
func TestBatchPageBadFile(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	exceptions := watchConsole(t, ctx)
	openBatch(t, ctx, base, "")
	dir := t.TempDir()

	noCoords := filepath.Join(dir, "无坐标.csv")
	require.NoError(t, os.WriteFile(noCoords, []byte("名称,备注\n甲,乙\n"), 0o644))
	// What the API says about it, asked from Go: nothing is stored either.
	apiMsg := func() string {
		var body strings.Builder
		body.WriteString("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"无坐标.csv\"\r\nContent-Type: text/csv\r\n\r\n名称,备注\n甲,乙\n\r\n--b--\r\n")
		res, err := http.Post(base+"/api/v1/batches", "multipart/form-data; boundary=b", strings.NewReader(body.String()))
		require.NoError(t, err)
		defer res.Body.Close()
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		require.NoError(t, json.NewDecoder(res.Body).Decode(&e))
		assert.Equal(t, "no_site_columns", e.Error.Code)
		assert.GreaterOrEqual(t, res.StatusCode, 400)
		return e.Error.Message
	}()

	chooseAndSubmit(t, ctx, noCoords)
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("batch-error").textContent || null`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(15*time.Second)))
	require.NoError(t, err, "no error shown for a list without coordinates")
	t.Logf("no coordinate columns: %s", msg)
	assert.Equal(t, "上传失败："+apiMsg, msg)
	assert.True(t, strings.Contains(msg, "经度") || strings.Contains(msg, "坐标"), msg)
	state, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({
		job: String(document.getElementById("batch-job").hidden),
		search: location.search,
		jobs: document.getElementById("batch-jobs").textContent,
		upload: document.getElementById("batch-upload-status").textContent,
		submit: String(document.getElementById("batch-submit").disabled),
		visible: String(document.getElementById("batch-error").getBoundingClientRect().height > 0),
	})`))
	require.NoError(t, err)
	assert.Equal(t, "true", state["job"], "no job section")
	assert.Empty(t, state["search"], "no ?job= in the URL")
	assert.Equal(t, "还没有任务。", state["jobs"])
	assert.Empty(t, state["upload"], "the upload status is cleared")
	assert.Equal(t, "false", state["submit"], "开始筛查 enabled again")
	assert.Equal(t, "true", state["visible"], "the error box is visible")
	assert.Empty(t, listJobIDs(t, base), "no job stored")
	saveScreenshot(t, ctx, "batch-bad-file.png")

	// A .pdf is refused by the page before any upload.
	pdf := filepath.Join(dir, "清单.pdf")
	require.NoError(t, os.WriteFile(pdf, []byte("%PDF-1.4\n%%EOF\n"), 0o644))
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("batch-error").textContent = ""`)))
	chooseAndSubmit(t, ctx, pdf)
	msg, err = chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("batch-error").textContent || null`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "no error shown for a .pdf")
	t.Logf(".pdf: %s", msg)
	assert.Contains(t, msg, "不支持的文件类型")
	assert.Contains(t, msg, "清单.pdf")
	assert.Contains(t, msg, ".xlsx")
	hidden, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("batch-job").hidden && location.search === ""`))
	require.NoError(t, err)
	assert.True(t, hidden, "no job after the .pdf")
	assert.Empty(t, listJobIDs(t, base), "no job stored")
	assert.Empty(t, exceptions(), "uncaught exceptions on the page")
}

// TestBatchPageCancelRace: a progress poll sent before 取消任务 whose
// answer arrives after the DELETE's must not bring back 进行中.
func TestBatchPageCancelRace(t *testing.T) {
	srv := startServe(t, "--batch-workers", "1")
	base := srv.base
	ctx := browser(t)
	openBatch(t, ctx, base, "")
	// Hold the answers of GET /api/v1/batches/{id} for 1.5 s once asked.
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`(() => {
		const f = window.fetch;
		window.sanxianHeld = 0;
		window.fetch = async (u, o) => {
			const r = await f(u, o);
			if (window.sanxianDelay && (!o || !o.method) && /^\/api\/v1\/batches\/[0-9a-f]+$/.test(String(u))) {
				sanxianHeld++;
				await new Promise(res => setTimeout(res, 1500));
			}
			return r;
		};
		const st = document.getElementById("batch-status");
		window.sanxianStatuses = [];
		new MutationObserver(() => sanxianStatuses.push(st.textContent)).observe(st, { childList: true, characterData: true, subtree: true });
	})()`)))
	chooseAndSubmit(t, ctx, writeList(t, 6000, 12))
	waitBatchStatus(t, ctx, "进行中", 30*time.Second)
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.sanxianDelay = true`)))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`sanxianHeld > 0`, chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.sanxianDelay = false`), chromedp.Click(chromedp.CSS("#batch-cancel"))))
	waitBatchStatus(t, ctx, "已取消", 10*time.Second)
	require.NoError(t, chromedp.Do(ctx, chromedp.Sleep(3*time.Second)))
	statuses, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`sanxianStatuses`))
	require.NoError(t, err)
	t.Logf("statuses: %q", statuses)
	cancelled := false
	for _, s := range statuses {
		if strings.Contains(s, "已取消") {
			cancelled = true
		} else if cancelled && s != "" {
			assert.Fail(t, "status after 已取消", "%q", s)
		}
	}
}
