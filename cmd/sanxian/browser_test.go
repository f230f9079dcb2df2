package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/crs"
)

// chromium finds Debian's chromium. Under CI (`make test` installs it) a
// missing browser fails the test; elsewhere it skips.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not installed: `make test` installs Debian's chromium for the browser tests")
	}
	t.Skip("chromium not installed (make test installs it)")
	return ""
}

// browser starts a headless Chromium with the flags that work on these
// machines (no network, fresh profile), allowed 60 s in all: a guard
// against a hung page, not a speed target.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserWithin(t, 60*time.Second)
}

// browserWithin is browser with another allowance, for tests that do
// much more than a page's worth of work under one browser.
func browserWithin(t *testing.T, allowed time.Duration) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, allowed)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// openMap opens the map page at path, sized 1280×800, and waits until the
// control-unit layer has drawn features. It returns how long that took
// from navigation.
func openMap(t *testing.T, ctx context.Context, base, path string) time.Duration {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 800)))
	start := time.Now()
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+path)))
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll(".leaflet-overlay-pane .leaflet-sx-control_units-pane path").length > 0`))
	require.NoError(t, err, "the control-unit layer never drew")
	return time.Since(start)
}

// saveScreenshot writes a PNG of the page to dir and, when set, to
// $SANXIAN_ARTIFACTS.
func saveScreenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	dirs := []string{t.TempDir()}
	if a := os.Getenv("SANXIAN_ARTIFACTS"); a != "" {
		require.NoError(t, os.MkdirAll(a, 0o755))
		dirs = append(dirs, a)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		require.NoError(t, os.WriteFile(p, png, 0o644))
		t.Logf("screenshot: %s", p)
	}
}

// The map page loads offline: the vendored Leaflet draws the control
// units and districts for the viewport, with the legend, the layer
// control, the Geoman toolbar and the synthetic-data notice.
func TestMapPageLoads(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	took := openMap(t, ctx, base, "/")
	t.Logf("navigation to first map render: %s", took.Round(time.Millisecond))

	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".leaflet-overlay-pane path").length`))
	require.NoError(t, err)
	assert.Greater(t, n, 0, "SVG paths in the overlay pane")
	notice, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.getElementById("dataset").textContent; return t.includes("合成") ? t : null })()`))
	require.NoError(t, err)
	assert.Contains(t, notice, "非官方数据")
	ui, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".legend").textContent + "|" + document.querySelector(".leaflet-control-layers").textContent + "|" + document.querySelectorAll(".leaflet-pm-toolbar .button-container").length`))
	require.NoError(t, err)
	for _, want := range []string{"优先保护单元", "重点管控单元", "一般管控单元", "生态保护红线", "区县", "饮用水水源保护区"} {
		assert.Contains(t, ui, want)
	}
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(".district-label")].map(e => e.textContent).join(",")`))
	require.NoError(t, err)
	assert.Contains(t, labels, "渝中区")
}

// A polygon drawn with mouse clicks in 渝中区 is checked at once: the
// verdict banner appears and the hit table lists the district and its
// control unit.
func TestMapPageDrawPolygon(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	openMap(t, ctx, base, "/?")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#industry"), "C2614"),
		chromedp.SetValue(chromedp.CSS("#construction"), "新建"),
	))
	// Centre on the spot, wait for the layer to be refetched there, then
	// turn on Geoman's polygon mode.
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { window.loadedBefore = document.querySelectorAll(".leaflet-sx-control_units-pane path").length; sanxianMap.setView([29.556, 106.57], 14, {animate: false}); return true })()`))
	require.NoError(t, err)
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("status").className !== "loading" && document.querySelectorAll(".leaflet-sx-control_units-pane path").length > 0`, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Sleep(400*time.Millisecond)))
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(sanxianMap.pm.enableDraw("Polygon"), sanxianMap.pm.globalDrawModeEnabled())`))
	require.NoError(t, err)

	//   (106.565,29.560) ┌────┐ (106.575,29.560)
	//                    │ ·  │   · = 106.57,29.556
	//   (106.565,29.552) └────┘ (106.575,29.552)
	corners := [][2]float64{{106.565, 29.552}, {106.575, 29.552}, {106.575, 29.560}, {106.565, 29.560}, {106.565, 29.552}}
	var last time.Time
	for i, c := range corners {
		if i > 0 { // a pause between clicks, so no two make a double-click
			require.NoError(t, chromedp.Do(ctx, chromedp.Sleep(250*time.Millisecond)))
		}
		xy, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(
			`(() => { const p = sanxianMap.latLngToContainerPoint([%f, %f]); const r = sanxianMap.getContainer().getBoundingClientRect(); return [r.left + p.x, r.top + p.y] })()`, c[1], c[0])))
		require.NoError(t, err)
		require.NoError(t, chromedp.Do(ctx, chromedp.MouseClickXY(xy[0], xy[1], chromedp.ButtonLeft)))
		last = time.Now()
	}
	verdict, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const e = document.querySelector(".verdict"); return e ? e.textContent : null })()`, chromedp.WithPollingTimeout(15*time.Second)))
	require.NoError(t, err, "no verdict after drawing")
	t.Logf("draw's last click to verdict: %s", time.Since(last).Round(time.Millisecond))
	assert.Contains(t, verdict, "禁止准入")

	hits, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#hits tr.hit")].map(r => [...r.cells].map(c => c.textContent).join("|"))`))
	require.NoError(t, err)
	joined := strings.Join(hits, "\n")
	assert.Contains(t, joined, "渝中区")
	unit := false
	for _, h := range hits {
		if strings.HasPrefix(h, "环境管控单元|ZH500103") {
			unit = true
			assert.Contains(t, h, "亩", "overlap area in 亩")
		}
	}
	assert.True(t, unit, "no control unit ZH500103… in the hits:\n%s", joined)
	site, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#result")))
	require.NoError(t, err)
	assert.Contains(t, site, "地块，4 个顶点")

	// Hovering a hit row draws that feature highlighted.
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector("#hits tr.hit").dispatchEvent(new MouseEvent("mouseenter"))`)))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll(".leaflet-sx-highlight-pane path").length > 0`, chromedp.WithPollingTimeout(5*time.Second)))
	assert.NoError(t, err, "hovered hit not highlighted")
	saveScreenshot(t, ctx, "map-draw-polygon.png")
}

// A shared link runs a point check (the start page's behaviour, kept);
// bad input and a point outside the data get Chinese messages.
func TestMapPageURLPointCheck(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	openMap(t, ctx, base, "/?"+url.Values{"lon": {"106.569"}, "lat": {"29.553"}, "industry": {"C2614"}, "construction": {"新建"}}.Encode())
	verdict, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const e = document.querySelector(".verdict"); return e ? e.textContent : null })()`))
	require.NoError(t, err)
	assert.Contains(t, verdict, "禁止准入")
	out, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#result")))
	require.NoError(t, err)
	assert.Contains(t, out, "CQ-1-06")
	assert.Contains(t, out, "最近 658 m，小于 1000 m")
	assert.Contains(t, out, "渝中区")
	markers, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".leaflet-marker-icon").length`))
	require.NoError(t, err)
	assert.Equal(t, 1, markers, "the point is marked on the map")

	// Bad input gets a Chinese message, not a blank panel.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/?lon=abc&lat=29.5")))
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const e = document.querySelector("#result .error"); return e ? e.textContent : null })()`))
	require.NoError(t, err)
	assert.Contains(t, msg, "经度")
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status")))
	require.NoError(t, err)
	assert.Contains(t, status, "核查失败")

	// Outside the data: no verdict, and the page says why.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/?"+url.Values{"lon": {"100"}, "lat": {"30"}, "industry": {"C2614"}}.Encode())))
	out, err = chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.getElementById("result").textContent; return t.includes("覆盖范围") ? t : null })()`))
	require.NoError(t, err)
	assert.True(t, strings.Contains(out, "无法给出准入结论"), out)
}

// saveArtifact writes b to dir and, when set, to $SANXIAN_ARTIFACTS.
func saveArtifact(t *testing.T, dir, name string, b []byte) {
	t.Helper()
	dirs := []string{dir}
	if a := os.Getenv("SANXIAN_ARTIFACTS"); a != "" {
		require.NoError(t, os.MkdirAll(a, 0o755))
		dirs = append(dirs, a)
	}
	for _, d := range dirs {
		p := filepath.Join(d, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		t.Logf("artifact: %s", p)
	}
}

// reportID is a report id as the service hands them out.
var reportID = regexp.MustCompile(`R-[0-9A-HJKMNP-TV-Z]{17}`)

// 生成查询报告 after a shared-link point check opens the printable report
// (in the same tab, as the test asks): the report id the map page showed
// and how to verify it, dataset checksum, verdict, the clause on the
// Yangtze, the disclaimer and an SVG map; it prints to an A4 PDF. The
// permalink /report?id= then lays out the stored report with its re-run,
// in a browser that has nothing stored.
func TestReportPage(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	openMap(t, ctx, base, "/?"+url.Values{"lon": {"106.569"}, "lat": {"29.553"}, "industry": {"C2614"}, "construction": {"新建"}}.Encode())
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector(".verdict") && !document.getElementById("report").disabled`))
	require.NoError(t, err, "the report button was not enabled after the check")
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#report-id")))
	require.NoError(t, err)
	id := reportID.FindString(shown)
	require.NotEmpty(t, id, "the answer shows its report id: %q", shown)
	assert.Contains(t, shown, "已登记")
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#report-id a").getAttribute("href")`))
	require.NoError(t, err)
	assert.Equal(t, "/report?id="+id, href)
	printReport(t, ctx, "某化工原料项目（测试）")
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1000, 1400)))

	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#report")))
	require.NoError(t, err)
	assert.Contains(t, text, "建设项目环境准入查询报告")
	meta, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#meta")))
	require.NoError(t, err)
	assert.Contains(t, meta, "报告编号\n"+id, "the printed report carries the id")
	assert.Contains(t, meta, base+"/report?id="+id, "and says how to verify it")
	assert.Contains(t, meta, "/api/v1/reports/"+id)
	assert.Contains(t, text, "sha256:ff6ef2b8", "dataset checksum")
	assert.Contains(t, text, "合成样例数据")
	assert.Contains(t, text, "某化工原料项目（测试）")
	assert.Contains(t, text, "C2614 有机化学原料制造")
	assert.Contains(t, text, "106.569000")
	verdict, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#verdict")))
	require.NoError(t, err)
	assert.Contains(t, verdict, "禁止准入")
	clauses, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#clauses")))
	require.NoError(t, err)
	assert.Contains(t, clauses, "CQ-1-06")
	assert.Contains(t, clauses, "触发")
	assert.NotContains(t, clauses, "不适用")
	assert.Contains(t, text, "本报告依据所列数据集自动生成，仅供建设项目选址选线前期参考，不替代生态环境主管部门的审查意见；合成样例数据不得用于实际审批")
	hits, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#hits")))
	require.NoError(t, err)
	assert.Contains(t, hits, "渝中区")
	assert.Contains(t, hits, "邻近")
	paths, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#map svg path").length`))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, paths, 1, "SVG paths in the report map")
	site, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#map svg .site").length`))
	require.NoError(t, err)
	assert.Equal(t, 1, site, "the site is drawn on the map")
	scale, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#map svg .scalebar").textContent`))
	require.NoError(t, err)
	assert.Regexp(t, `^0[0-9.]+(m|km)$`, scale, "scale bar ticks and unit")

	dir := t.TempDir()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	saveArtifact(t, dir, "report.png", png)

	pdf, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, tg, page.PrintToPDF, page.PrintToPDFParams{
			PaperWidth: 8.27, PaperHeight: 11.69, PrintBackground: ptr(true), PreferCSSPageSize: ptr(true),
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	})
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(pdf, []byte("%PDF")), "not a PDF")
	pages := regexp.MustCompile(`/Type\s*/Page[^s]`).FindAll(pdf, -1)
	assert.GreaterOrEqual(t, len(pages), 1, "pages in the PDF")
	t.Logf("report PDF: %d bytes, %d pages", len(pdf), len(pages))
	saveArtifact(t, dir, "report.pdf", pdf)

	// The permalink, in a fresh browser with nothing stored.
	ctx2 := browser(t)
	require.NoError(t, chromedp.Do(ctx2, chromedp.Navigate(base+"/report?id="+strings.ToLower(id))))
	_, err = chromedp.Run(ctx2, chromedp.Poll[bool](`window.sanxianReportReady === true`))
	require.NoError(t, err)
	text, err = chromedp.Run(ctx2, chromedp.Text(chromedp.CSS("#report")))
	require.NoError(t, err)
	assert.Contains(t, text, "报告编号\n"+id)
	assert.Contains(t, text, "106.569000")
	verdict, err = chromedp.Run(ctx2, chromedp.Text(chromedp.CSS("#verdict")))
	require.NoError(t, err)
	assert.Contains(t, verdict, "禁止准入")
	again, err := chromedp.Run(ctx2, chromedp.Text(chromedp.CSS("#reproduced")))
	require.NoError(t, err)
	assert.Contains(t, again, "按同一数据版本重新核查，结果一致")
	png, err = chromedp.Run(ctx2, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	saveArtifact(t, dir, "report-permalink.png", png)

	// A mistyped id gets the service's Chinese message.
	require.NoError(t, chromedp.Do(ctx2, chromedp.Navigate(base+"/report?id="+id[:len(id)-1]+"Z")))
	_, err = chromedp.Run(ctx2, chromedp.Poll[bool](`window.sanxianReportReady === true`))
	require.NoError(t, err)
	text, err = chromedp.Run(ctx2, chromedp.Text(chromedp.CSS("#report")))
	require.NoError(t, err)
	assert.Contains(t, text, "无法读取报告")
	assert.Contains(t, text, "invalid_report_id")
}

// /report with nothing stored says so in Chinese and links back to the
// map, never a blank page.
func TestReportPageWithoutResult(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/report")))
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const e = document.getElementById("empty"); return e ? e.textContent : null })()`))
	require.NoError(t, err)
	assert.Contains(t, msg, "没有找到可生成报告的查询结果")
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#empty a").getAttribute("href")`))
	require.NoError(t, err)
	assert.Equal(t, "/", href)
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("print").disabled`))
	require.NoError(t, err)
	assert.True(t, disabled, "no printing without a result")
}

func ptr[T any](v T) *T { return &v }

// clearStatus empties the check status line so that waitVerdict sees the
// next check, not the last one.
func clearStatus(t *testing.T, ctx context.Context) {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.getElementById("status").textContent = ""; return true })()`))
	require.NoError(t, err)
}

// waitVerdict waits for a finished check (the verdict banner) and returns
// the result panel's text.
func waitVerdict(t *testing.T, ctx context.Context) string {
	t.Helper()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("status").textContent.includes("核查完成") && !!document.querySelector(".verdict")`, chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err, "no verdict")
	out, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#result")))
	require.NoError(t, err)
	return out
}

// Typed coordinates: a 度分秒 point and a 界址点 list each become the
// site on the map (replacing the previous one) and are checked.
func TestMapPageTypedCoordinates(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	openMap(t, ctx, base, "/")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#industry"), "C2614"),
		chromedp.SetValue(chromedp.CSS("#construction"), "新建"),
		// 106°34'8.4" = 106.569, 29°33'10.8" = 29.553
		chromedp.SetValue(chromedp.CSS("#coords"), `106°34'8.4"E 29°33'10.8"N`),
		chromedp.Click(chromedp.CSS("#showcoords")),
	))
	out := waitVerdict(t, ctx)
	assert.Contains(t, out, "禁止准入")
	assert.Contains(t, out, "点位 106.569000, 29.553000")
	markers, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".leaflet-marker-icon").length`))
	require.NoError(t, err)
	assert.Equal(t, 1, markers)
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#coordstatus")))
	require.NoError(t, err)
	assert.Contains(t, status, "已读取坐标")

	// A 界址点 list (closed) replaces the point with a polygon.
	clearStatus(t, ctx)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#coords"), "点号,经度,纬度\nJ1,106.565,29.552\nJ2,106.575,29.552\nJ3,106.575,29.560\nJ4,106.565,29.560\nJ1,106.565,29.552"),
		chromedp.Click(chromedp.CSS("#showcoords")),
	))
	out = waitVerdict(t, ctx)
	assert.Contains(t, out, "地块，4 个顶点")
	assert.Contains(t, out, "渝中区")
	markers, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".leaflet-marker-icon").length`))
	require.NoError(t, err)
	assert.Equal(t, 0, markers, "the point site was replaced")

	// A bad line is reported next to the text box, with its line number.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#coords"), "106.565,29.552\n106.x,29.56"),
		chromedp.Click(chromedp.CSS("#showcoords")),
	))
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const e = document.getElementById("coordstatus"); return e.className === "error" ? e.textContent : null })()`))
	require.NoError(t, err)
	assert.Contains(t, msg, "第 2 行")
}

// Uploads: a KML and a zipped shapefile (GBK attributes, .cpg 936) become
// the site and are checked; a broken file gets its Chinese error next to
// the file input.
func TestMapPageUploadSite(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	openMap(t, ctx, base, "/")
	fixture := func(name string) string {
		p, err := filepath.Abs(filepath.Join("..", "..", "data", "testdata", name))
		require.NoError(t, err)
		return p
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#industry"), "C2614")))
	for _, name := range []string{"site.kml", "site_gbk.zip"} {
		t.Run(name, func(t *testing.T) {
			clearStatus(t, ctx)
			require.NoError(t, chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#sitefile"), []string{fixture(name)})))
			out := waitVerdict(t, ctx)
			assert.Contains(t, out, "地块")
			assert.Contains(t, out, "渝中区")
			status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#filestatus")))
			require.NoError(t, err)
			assert.Contains(t, status, "已读取文件 "+name)
			paths, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".leaflet-overlay-pane > svg path.leaflet-interactive").length`))
			require.NoError(t, err)
			assert.Greater(t, paths, 0, "the site is drawn")
		})
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#sitefile"), []string{fixture("bad.kml")})))
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const e = document.getElementById("filestatus"); return e.className === "error" ? e.textContent : null })()`))
	require.NoError(t, err)
	assert.Contains(t, msg, "无法读取文件 bad.kml")
	assert.Contains(t, msg, "KML")
	assert.Regexp(t, `（[a-z_]+）$`, msg, "the map page shows the error's stable code after the message")
	saveScreenshot(t, ctx, "upload-site.png")
}

// The URL point check at phone size (390×844): the panel stacks under the
// map and the verdict banner fits the viewport's width.
func TestMapPagePhone(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844)))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/?"+url.Values{"lon": {"106.569"}, "lat": {"29.553"}, "industry": {"C2614"}, "construction": {"新建"}}.Encode())))
	verdict, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const e = document.querySelector(".verdict"); return e ? e.textContent : null })()`, chromedp.WithPollingTimeout(20*time.Second)))
	require.NoError(t, err)
	assert.Contains(t, verdict, "禁止准入")
	box, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(() => {
		const v = document.querySelector(".verdict"); v.scrollIntoView();
		const r = v.getBoundingClientRect(), m = document.getElementById("map").getBoundingClientRect(), p = document.getElementById("panel").getBoundingClientRect();
		return { left: r.left, right: r.right, width: r.width, mapW: m.width, mapH: m.height, panelTop: p.top + scrollY, mapBottom: m.bottom + scrollY, scrollW: document.documentElement.scrollWidth, innerW: innerWidth };
	})()`))
	require.NoError(t, err)
	t.Logf("phone layout: %v", box)
	assert.Equal(t, 390.0, box["innerW"])
	assert.LessOrEqual(t, box["width"], 390.0, "verdict banner wider than the viewport")
	assert.GreaterOrEqual(t, box["left"], 0.0)
	assert.LessOrEqual(t, box["right"], 390.0)
	assert.LessOrEqual(t, box["scrollW"], 390.0, "the page scrolls sideways")
	assert.Equal(t, 390.0, box["mapW"], "map spans the width")
	assert.InDelta(t, 0.55*844, box["mapH"], 10, "map ~55vh")
	assert.GreaterOrEqual(t, box["panelTop"], box["mapBottom"]-1, "panel under the map")
	// The drawing toolbar's buttons are on screen and not covered by the
	// legend or the layer control.
	covered, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => {
		scrollTo(0, 0);
		const out = [];
		for (const b of document.querySelectorAll(".leaflet-pm-toolbar .button-container a, .leaflet-control-zoom a")) {
			const r = b.getBoundingClientRect();
			if (b.offsetParent === null || r.width === 0) continue; // Geoman's hidden action buttons
			const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
			if (!hit || !b.contains(hit) && hit !== b) out.push(b.title || b.className);
		}
		return out;
	})()`))
	require.NoError(t, err)
	assert.Empty(t, covered, "toolbar buttons covered or off screen")
	visible, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll(".leaflet-pm-toolbar .button-container > a")].filter(b => b.offsetParent !== null).length`))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, visible, 6, "drawing toolbar buttons shown")
	saveScreenshot(t, ctx, "map-phone.png")
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.querySelector(".verdict").scrollIntoView({block: "center"})`)))
	saveScreenshot(t, ctx, "map-phone-verdict.png")
}

// Keyboard use: every form control has a label; Enter in the longitude
// field runs the point check; hit rows take focus and highlight their
// feature; Ctrl+Enter in the coordinates box shows and checks them.
func TestMapPageKeyboard(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	openMap(t, ctx, base, "/")
	unlabelled, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("input, select, textarea")].filter(e => e.labels.length === 0).map(e => e.id || e.name)`))
	require.NoError(t, err)
	assert.Empty(t, unlabelled, "form controls without a <label>")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#industry"), "C2614"),
		chromedp.SetValue(chromedp.CSS("#construction"), "新建"),
		chromedp.SetValue(chromedp.CSS("#lat"), "29.553"),
		chromedp.Focus(chromedp.CSS("#lon")),
		chromedp.KeyEvent("106.569"),
		chromedp.KeyEvent(kb.Enter),
	))
	out := waitVerdict(t, ctx)
	assert.Contains(t, out, "禁止准入")
	assert.Contains(t, out, "点位 106.569, 29.553", "Enter ran the point check, not the form's submit")

	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("#hits tr.hit")].filter(r => r.tabIndex === 0).length`))
	require.NoError(t, err)
	assert.Greater(t, rows, 0, "focusable hit rows")
	require.NoError(t, chromedp.Do(ctx, chromedp.Focus(chromedp.CSS("#hits tr.hit"))))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll(".leaflet-sx-highlight-pane path").length > 0`, chromedp.WithPollingTimeout(5*time.Second)))
	assert.NoError(t, err, "focused hit row not highlighted")
	outline, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`))
	require.NoError(t, err)
	assert.NotEqual(t, "none", outline, "focused row has an outline")

	clearStatus(t, ctx)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#coords"), "J1,106.565,29.552\nJ2,106.575,29.552\nJ3,106.575,29.560\nJ4,106.565,29.560\nJ1,106.565,29.552"),
		chromedp.Focus(chromedp.CSS("#coords")),
		chromedp.KeyEvent(kb.Enter, chromedp.KeyModifiers(chromedp.ModifierCtrl)),
	))
	out = waitVerdict(t, ctx)
	assert.Contains(t, out, "地块，4 个顶点")
}

// The file input shows a Chinese button and file name, not Chromium's
// English "Choose File".
func TestMapPageFilePicker(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	openMap(t, ctx, base, "/")
	ui, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".filepick label.filebtn").textContent + "|" + document.getElementById("sitefilename").textContent + "|" + document.getElementById("sitefile").getBoundingClientRect().width`))
	require.NoError(t, err)
	assert.Equal(t, "选择文件…|未选择文件|1", ui)
	p, err := filepath.Abs(filepath.Join("..", "..", "data", "testdata", "site.kml"))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.SetUploadFiles(chromedp.CSS("#sitefile"), []string{p})))
	waitVerdict(t, ctx)
	name, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#sitefilename")))
	require.NoError(t, err)
	assert.Equal(t, "site.kml", name)
}

// --tiles puts a basemap under the overlays, fetched from the given
// template (here a local tile server), with its attribution and the
// note on GCJ-02 basemaps; without it the page requests no tiles.
func TestMapPageBasemap(t *testing.T) {
	var tiles atomic.Int64
	var img bytes.Buffer
	gray := image.NewGray(image.Rect(0, 0, 256, 256))
	for i := range gray.Pix {
		gray.Pix[i] = 0xe8
	}
	require.NoError(t, png.Encode(&img, gray))
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tiles.Add(1)
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(img.Bytes())
	}))
	t.Cleanup(ts.Close)
	base := startServe(t, "--tiles", ts.URL+"/tiles/{z}/{x}/{y}.png?tk=k&v=1", "--tiles-attribution", "测试底图 <内网>").base
	ctx := browser(t)
	openMap(t, ctx, base, "/")
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll(".leaflet-tile-pane img.leaflet-tile-loaded").length > 0`, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "no basemap tiles loaded")
	assert.Greater(t, tiles.Load(), int64(0))
	info, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[document.querySelector(".leaflet-tile-pane img").src, document.querySelector(".leaflet-control-attribution").textContent, document.getElementById("tiles-note").textContent, document.querySelector(".leaflet-control-layers").textContent].join("|")`))
	require.NoError(t, err)
	assert.Contains(t, info, ts.URL+"/tiles/")
	assert.Contains(t, info, "tk=k&v=1")
	assert.Contains(t, info, "测试底图 <内网>")
	assert.Contains(t, info, "高德、腾讯等 GCJ-02 底图会偏移数百米，暂不支持")
	assert.Contains(t, info, "底图")
	// Tiles sit under the overlays.
	z, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[+getComputedStyle(sanxianMap.getPane("tilePane")).zIndex, +getComputedStyle(sanxianMap.getPane("overlayPane")).zIndex]`))
	require.NoError(t, err)
	assert.Less(t, z[0], z[1])
	saveScreenshot(t, ctx, "map-basemap.png")

	// Without --tiles: no tiles, no note.
	base2 := startServe(t).base
	openMap(t, ctx, base2, "/")
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".leaflet-tile-pane img, #tiles-note").length`))
	require.NoError(t, err)
	assert.Equal(t, 0, n)
}

// A 200-vertex 界址点 list typed into the coordinates box: the time from
// the click to the verdict (parse + check + render) is logged, not
// asserted.
func TestMapPageLargePolygon(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	openMap(t, ctx, base, "/")
	var b strings.Builder
	b.WriteString("点号,经度,纬度\n")
	const n = 200
	for i := 0; i <= n; i++ {
		a := 2 * math.Pi * float64(i%n) / n
		r := 0.004 * (1 + 0.15*math.Sin(7*a)) // a wavy ring, ~800 m across
		fmt.Fprintf(&b, "J%d,%.7f,%.7f\n", i%n+1, 106.57+r*math.Cos(a)/math.Cos(29.556*math.Pi/180), 29.556+r*math.Sin(a))
	}
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#industry"), "C2614"),
		chromedp.SetValue(chromedp.CSS("#construction"), "新建"),
		chromedp.SetValue(chromedp.CSS("#coords"), b.String()),
	))
	for run := 1; run <= 3; run++ {
		clearStatus(t, ctx)
		start := time.Now()
		require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#showcoords"))))
		out := waitVerdict(t, ctx)
		took := time.Since(start)
		assert.Contains(t, out, "地块，200 个顶点")
		status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status")))
		require.NoError(t, err)
		t.Logf("200-vertex polygon, run %d: click to verdict %s (page's own check timing: %s)", run, took.Round(time.Millisecond), status)
	}
	// The check alone, from the page's own function, on the parsed site.
	clearStatus(t, ctx)
	start := time.Now()
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`void runCheck()`)))
	waitVerdict(t, ctx)
	t.Logf("200-vertex polygon: runCheck() to verdict %s", time.Since(start).Round(time.Millisecond))
	saveScreenshot(t, ctx, "map-200-vertices.png")
}

// Choosing a district in "定位到区县" fits the map to it.
func TestMapPageZoomToDistrict(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/")))
	n, err := chromedp.Run(ctx, chromedp.Poll[int](`(() => { const n = document.querySelectorAll("#district option").length; return n > 38 ? n : null })()`))
	require.NoError(t, err)
	assert.Equal(t, 39, n, "38 districts and the prompt")
	before, err := chromedp.Run(ctx, chromedp.Evaluate[int](`sanxianMap.getZoom()`))
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#district"), "500103")))
	require.NoError(t, chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.getElementById("district").dispatchEvent(new Event("change"))`)))
	center, err := chromedp.Run(ctx, chromedp.Poll[[]float64](`(() => { const z = sanxianMap.getZoom(); if (z <= `+strconv.Itoa(before)+`) return null; const c = sanxianMap.getCenter(); return [c.lng, c.lat] })()`))
	require.NoError(t, err)
	// 渝中区's seat is at 106.569, 29.553: the view is centred near it.
	assert.InDelta(t, 106.57, center[0], 0.05)
	assert.InDelta(t, 29.555, center[1], 0.05)
}

// Coordinates typed in a Gauss-Krüger zone (X = northing first under an
// X,Y header, the surveying convention) and a point picked on a GCJ-02 map
// land where the CGCS2000 point is: 渝中区's seat.
func TestMapPageTypedCoordinatesCRS(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	openMap(t, ctx, base, "/")
	seat := orb.Point{106.569, 29.553}
	zone, err := crs.Parse("EPSG:4545")
	require.NoError(t, err)
	en, err := zone.FromCGCS2000(seat)
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#industry"), "C2614"),
		chromedp.SetValue(chromedp.CSS("#construction"), "新建"),
		chromedp.SetValue(chromedp.CSS("#coordcrs"), "EPSG:4545"),
		chromedp.SetValue(chromedp.CSS("#coords"), fmt.Sprintf("点号,X,Y\nJ1,%.3f,%.3f", en[1], en[0])),
		chromedp.Click(chromedp.CSS("#showcoords")),
	))
	out := waitVerdict(t, ctx)
	assert.Contains(t, out, "禁止准入")
	assert.Contains(t, out, "点位 106.569000, 29.553000")

	clearStatus(t, ctx)
	gcj, err := crs.GCJ02.FromCGCS2000(seat)
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#coordcrs"), "GCJ02"),
		chromedp.SetValue(chromedp.CSS("#coords"), fmt.Sprintf("%.7f, %.7f", gcj[0], gcj[1])),
		chromedp.Click(chromedp.CSS("#showcoords")),
	))
	out = waitVerdict(t, ctx)
	assert.Contains(t, out, "点位 106.56")
	assert.Contains(t, out, "渝中区")
}

// printReport fills in the project name and opens the printed report in
// the same tab, waiting until it has drawn. (The click navigates, which
// can break a running poll, so readiness is asked again and again.)
func printReport(t *testing.T, ctx context.Context, projectName string) {
	t.Helper()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#pname"), projectName),
		chromedp.Evaluate[chromedp.Void](`window.sanxianReportSameTab = true`),
		chromedp.Click(chromedp.CSS("#report")),
	))
	require.Eventually(t, func() bool {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.pathname === "/report" && window.sanxianReportReady === true`))
		return err == nil && ok
	}, 20*time.Second, 100*time.Millisecond, "the report never finished")
}
