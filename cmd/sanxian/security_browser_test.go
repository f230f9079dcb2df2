package main

// Browser tests of the pages' security: every page runs under its
// Content-Security-Policy without a violation or a script error, and data
// that carries HTML (clause texts, feature names and attributes, a
// project name, a batch list) is shown as text and never runs.

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
)

// cspListener runs in every document before the page's scripts (DevTools
// injects it, so the CSP does not apply to it) and reports each
// securitypolicyviolation event on the console.
const cspListener = `document.addEventListener("securitypolicyviolation", (e) => {
  console.error("csp-violation: " + e.violatedDirective + " blocked " + e.blockedURI + " at " + e.sourceFile + ":" + e.lineNumber + " sample " + e.sample);
}, true);`

// pageProblems watches the tab from now on and reports CSP violations
// (the listener's and the browser's own "Refused to …" log entries) and
// uncaught exceptions, across navigations.
func pageProblems(t *testing.T, ctx context.Context) func() []string {
	t.Helper()
	found := collectConsole(t, ctx, func(m chromedp.ConsoleMessage) (string, bool) {
		switch {
		case m.Type == chromedp.ConsoleException:
			return "exception: " + m.Text, true
		case strings.Contains(m.Text, "csp-violation") || strings.Contains(m.Text, "Content Security Policy"):
			return m.Text, true
		}
		return "", false
	})
	_, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (bool, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener})
		return err == nil, err
	})
	require.NoError(t, err)
	return found
}

// tileServer answers every tile with a 1×1 PNG, on an origin other than
// the service's (another port), as a basemap would.
func tileServer(t *testing.T) *httptest.Server {
	png, err := os.ReadFile(filepath.Join("..", "..", "web", "page", "vendor", "leaflet", "images", "marker-shadow.png"))
	require.NoError(t, err)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(png)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// The pages run under their CSP: the map page with a basemap from
// another origin, a polygon drawn with Geoman, a feature card and a
// check, then the printed report. No violation is reported and no script
// fails. (The batch page's flow is in TestHTMLInjection.)
func TestPagesUnderCSP(t *testing.T) {
	tiles := tileServer(t)
	srv := startServe(t, "--tiles", tiles.URL+"/{z}/{x}/{y}.png", "--tiles-attribution", "测试底图")
	ctx := browser(t)
	problems := pageProblems(t, ctx)

	openMap(t, ctx, srv.base, "/")
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](`[...document.querySelectorAll(".leaflet-tile-pane img")].some(i => i.complete && i.naturalWidth > 0)`,
		chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "no basemap tile loaded from the other origin (img-src)")
	// Draw a polygon with Geoman: its toolbar, hint tooltip and vertex
	// markers all go through the DOM.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#industry"), "C2614"),
		chromedp.Click(chromedp.CSS(".leaflet-pm-icon-polygon")),
	))
	for _, p := range [][2]float64{{560, 380}, {660, 380}, {660, 460}, {560, 460}, {560, 380}} {
		require.NoError(t, chromedp.Do(ctx, chromedp.MouseClickXY(p[0], p[1], chromedp.ButtonLeft)))
	}
	waitVerdict(t, ctx)
	// A feature card (popup) for a control unit.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
	  let done = false;
	  window.sanxianMap.eachLayer((l) => {
	    if (!done && l.feature && String(l.feature.id).startsWith("ZH")) { l.fire("click", { latlng: window.sanxianMap.getCenter() }); done = true; }
	  });
	  return done;
	})()`))
	require.NoError(t, err)
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!!document.querySelector(".leaflet-popup .card dl")`, chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "the feature card did not open")

	// The printed report.
	printReport(t, ctx, "测试项目")

	// The batch page runs under its CSP in TestHTMLInjection (upload,
	// table, map, tooltips), which asserts the same.

	assert.Empty(t, problems(), "CSP violations or script errors")
}

// Payloads put into the dataset and the inputs; each would set
// window.__pwned if it ran.
const (
	payloadImg    = `<img src=x onerror="window.__pwned=1">`
	payloadScript = `<script>window.__pwned=1</script>`
	payloadLink   = `<a href="javascript:window.__pwned=1">点我</a>`
	payloadSVG    = `"><svg onload="window.__pwned=1">`
)

// siteLon, siteLat is 渝中区's seat, where a chemical plant is prohibited.
const siteLon, siteLat = 106.569, 29.553

// writePayloadDataset copies the part of the embedded sample within
// about 6 km of the site (features whose bounds reach it, and the clauses
// of their units and counties: small, so that writing and loading it stay
// cheap under -race) with payloads in the dataset name, the district and
// the control unit at the site (names and an attribute) and every clause
// text and exception note. It returns the folder and the unit's id.
func writePayloadDataset(t *testing.T) (string, string) {
	t.Helper()
	c, err := data.ReadDataset(data.Sample())
	require.NoError(t, err)
	pt := orb.Point{siteLon, siteLat}
	box := orb.Bound{Min: orb.Point{siteLon - 0.06, siteLat - 0.06}, Max: orb.Point{siteLon + 0.06, siteLat + 0.06}}
	kept := map[string]bool{}
	for li := range c.Layers {
		l := &c.Layers[li]
		var fs []admission.Feature
		for _, f := range l.Features {
			if f.Geometry.Bound().Intersects(box) {
				fs = append(fs, f)
				kept[f.ID] = true
			}
		}
		l.Features = fs
	}
	var clauses []admission.Clause
	for _, cl := range c.Rules.Clauses {
		if (cl.Scope.Unit == "" || kept[cl.Scope.Unit]) && (cl.Scope.County == "" || kept[cl.Scope.County]) {
			clauses = append(clauses, cl)
		}
	}
	c.Rules.Clauses = clauses
	contains := func(g orb.Geometry) bool {
		switch g := g.(type) {
		case orb.Polygon:
			return planar.PolygonContains(g, pt)
		case orb.MultiPolygon:
			return planar.MultiPolygonContains(g, pt)
		}
		return false
	}
	c.Info.Name = "注入测试" + payloadImg
	unit := ""
	for li := range c.Layers {
		l := &c.Layers[li]
		for fi := range l.Features {
			f := &l.Features[fi]
			if !contains(f.Geometry) {
				continue
			}
			switch l.ID {
			case admission.LayerDistricts:
				f.Name = "渝中" + payloadSVG
			case admission.LayerControlUnits:
				unit = f.ID
				f.Name = "单元" + payloadImg + payloadSVG
				f.Properties["county_name"] = payloadScript + "渝中区"
				f.Properties["name"] = f.Name
			}
		}
	}
	require.NotEmpty(t, unit, "no control unit at the site")
	for i := range c.Rules.Clauses {
		cl := &c.Rules.Clauses[i]
		cl.Text = payloadImg + payloadLink + cl.Text
		for j := range cl.Exceptions {
			cl.Exceptions[j].Note = payloadScript + cl.Exceptions[j].Note
		}
	}
	dir := filepath.Join(t.TempDir(), "payload")
	_, err = data.WriteDataset(dir, c)
	require.NoError(t, err)
	return dir, unit
}

// assertInert checks the current page: nothing set window.__pwned, no
// element carries an event-handler attribute or a javascript: link, and
// no <img src=x> or stray <script> was made from data.
func assertInert(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`({
	  pwned: typeof window.__pwned === "undefined" ? "no" : String(window.__pwned),
	  handlers: [...document.querySelectorAll("*")].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).map((e) => e.outerHTML.slice(0, 120)),
	  jslinks: [...document.querySelectorAll("a[href]")].filter((a) => /^\s*javascript:/i.test(a.getAttribute("href"))).length,
	  imgs: document.querySelectorAll("img[src='x']").length,
	  scripts: [...document.scripts].filter((s) => !s.src).length,
	})`))
	require.NoError(t, err, where)
	assert.Equal(t, "no", got["pwned"], "%s: a payload ran", where)
	assert.Empty(t, got["handlers"], "%s: elements with event-handler attributes", where)
	assert.EqualValues(t, 0, got["jslinks"], "%s: javascript: links", where)
	assert.EqualValues(t, 0, got["imgs"], "%s: <img src=x> made from data", where)
	assert.EqualValues(t, 0, got["scripts"], "%s: inline <script> elements", where)
}

// A dataset whose unit names, attributes and clause texts carry HTML and
// script, a project name with a payload, and a batch list and batch name
// with payloads: the map page (labels, check result, feature card), the
// printed report and the batch page (job list, table, map tooltips) show
// the payload text literally and run none of it.
func TestHTMLInjection(t *testing.T) {
	dir, unit := writePayloadDataset(t)
	srv := startServe(t, "--data", dir)
	ctx := browser(t)
	problems := pageProblems(t, ctx)

	// The map page: a URL point check at the unit.
	openMap(t, ctx, srv.base, "/?"+url.Values{"lon": {fmt.Sprint(siteLon)}, "lat": {fmt.Sprint(siteLat)}, "industry": {"C2614"}, "construction": {"新建"}}.Encode())
	result := waitVerdict(t, ctx)
	assert.Contains(t, result, "单元"+payloadImg+payloadSVG, "the unit name shown as text")
	assert.Contains(t, result, payloadImg+payloadLink, "the clause text shown as text")
	labels, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll(".district-label")].map(e => e.textContent).join("|")`))
	require.NoError(t, err)
	assert.Contains(t, labels, "渝中"+payloadSVG, "the district label shown as text")
	notice, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#dataset")))
	require.NoError(t, err)
	assert.Contains(t, notice, "注入测试"+payloadImg)
	// The unit's card: name, attribute and clauses.
	_, err = chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
	  let done = false;
	  window.sanxianMap.eachLayer((l) => {
	    if (!done && l.feature && l.feature.id === `+jsString(unit)+`) { l.fire("click", { latlng: L.latLng(`+fmt.Sprint(siteLat)+`, `+fmt.Sprint(siteLon)+`) }); done = true; }
	  });
	  return done;
	})()`))
	require.NoError(t, err)
	card, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const c = document.querySelector(".leaflet-popup .card"); return c && c.querySelector("dl") ? c.textContent : null })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "the unit's card did not open")
	assert.Contains(t, card, payloadScript+"渝中区", "the attribute shown as text")
	assert.Contains(t, card, "单元"+payloadImg)
	assertInert(t, ctx, "map page")

	// The printed report, with a project name that is a payload.
	printReport(t, ctx, payloadSVG+payloadScript)
	report, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#report")))
	require.NoError(t, err)
	assert.Contains(t, report, payloadSVG+payloadScript, "the project name shown as text")
	assert.Contains(t, report, payloadImg+payloadLink, "the clause text shown as text")
	assert.Contains(t, report, "单元"+payloadImg)
	assertInert(t, ctx, "report")

	// The batch page: a list whose row names are payloads, one row at the
	// unit, and a batch name that is a payload.
	list := filepath.Join(t.TempDir(), "清单.csv")
	require.NoError(t, os.WriteFile(list, []byte("项目名称,行业代码,建设性质,经度,纬度\n"+
		fmt.Sprintf("\"%s\",C2614,新建,%v,%v\n", strings.ReplaceAll(payloadSVG+payloadImg, `"`, `""`), siteLon, siteLat)+
		fmt.Sprintf("\"%s\",I6450,新建,106.55,29.56\n", strings.ReplaceAll(payloadLink, `"`, `""`))), 0o644))
	openBatch(t, ctx, srv.base, "")
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#batch-name"), payloadScript+payloadImg)))
	chooseAndSubmit(t, ctx, list)
	waitBatchStatus(t, ctx, "已完成", 60*time.Second)
	waitFinishedView(t, ctx, 30*time.Second)
	// Open every site's tooltip (Leaflet fills it on opening).
	_, err = chromedp.Run(ctx, chromedp.Evaluate[int](`(() => {
	  const paths = document.querySelectorAll("#batch-map .leaflet-overlay-pane path.leaflet-interactive");
	  paths.forEach((p) => p.dispatchEvent(new MouseEvent("mouseover", { bubbles: true })));
	  return paths.length;
	})()`))
	require.NoError(t, err)
	tips, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = [...document.querySelectorAll("#batch-map .leaflet-tooltip")].map(e => e.textContent).join("|"); return t || null })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	require.NoError(t, err, "no site tooltip opened")
	assert.Contains(t, tips, payloadSVG+payloadImg, "the row name in the tooltip shown as text")
	table, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#batch-table")))
	require.NoError(t, err)
	assert.Contains(t, table, payloadSVG+payloadImg, "the row name in the table")
	assert.Contains(t, table, "单元"+payloadImg, "the unit name in the table")
	assert.Contains(t, table, payloadLink)
	page, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("body")))
	require.NoError(t, err)
	assert.Contains(t, page, payloadScript+payloadImg, "the batch name shown as text")
	assertInert(t, ctx, "batch page")

	assert.Empty(t, problems(), "CSP violations (a blocked payload) or script errors")
}
