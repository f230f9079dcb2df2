package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
)

// The 数据版本 page lists the versions of a versions directory and shows
// what changed between two: the counts of the API's diff, one row per
// changed feature and clause (filterable), names carrying HTML shown as
// text, all under the page's CSP. A single dataset says there is nothing
// to compare.
func TestDatasetsPage(t *testing.T) {
	f := writeVersions(t)
	// v3: v2 with a unit renamed to a payload and a new clause.
	c := versionContents(2)
	c.Info.Version = "2024.1"
	c.Layers[1].Features[0].Name = "万州区优先保护单元" + payloadImg
	c.Rules.Clauses = append(c.Rules.Clauses, admission.Clause{ID: "CQ-1-09", Level: admission.LevelCity, Dimension: "空间布局约束",
		Number: "1-9", Effect: admission.EffectProhibit, Text: "禁止新建燃煤电厂。" + payloadScript})
	_, err := data.WriteDataset(filepath.Join(f.dir, "v3"), c)
	require.NoError(t, err)
	srv := startServe(t, "--data", f.dir)
	ctx := browser(t)
	problems := pageProblems(t, ctx)

	// No query: from the version before the one in use; v1 is in use and
	// the oldest, so from it to the newest.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.base+"/datasets")))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelectorAll("#ds-versions li").length === 3`))
	require.NoError(t, err, "the versions were not listed: %v", problems())
	got, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]string](`({
	  from: document.getElementById("ds-from").value, to: document.getElementById("ds-to").value,
	  active: [...document.querySelectorAll("#ds-versions li")].filter(li => li.querySelector(".badge.active")).map(li => li.dataset.id).join(),
	  list: document.getElementById("ds-versions").textContent,
	})`))
	require.NoError(t, err)
	assert.Equal(t, "v1", got["from"])
	assert.Equal(t, "v3", got["to"])
	assert.Equal(t, "v1", got["active"])
	assert.Contains(t, got["list"], "版本 2023.1")
	assert.Contains(t, got["list"], "管控单元 3 个")

	// ?from=v1&to=v2 compares at once; the page shows what the API says.
	code, body := call(t, http.DefaultClient, "GET", srv.base+"/api/v1/datasets/diff?from=v1&to=v2", "")
	require.Equal(t, http.StatusOK, code, "%s", body)
	var want admission.DatasetDiff
	require.NoError(t, json.Unmarshal(body, &want))
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(srv.base+"/datasets?from=v1&to=v2")))
	_, err = chromedp.Run(ctx, chromedp.Poll[bool](`!document.getElementById("ds-diff").hidden`, chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err, "the comparison was not shown")
	shown, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](`({
	  cards: Object.fromEntries([...document.querySelectorAll("#ds-counts li")].map(li => [li.querySelector(".label").textContent, li.querySelector(".count").textContent])),
	  features: [...document.querySelectorAll("#ds-features tbody tr")].map(tr => [...tr.cells].map(td => td.textContent).join("|")),
	  clauses: [...document.querySelectorAll("#ds-clauses tbody tr")].map(tr => [...tr.cells].map(td => td.textContent).join("|")),
	  versions: document.getElementById("ds-diff-versions").textContent,
	})`))
	require.NoError(t, err)
	cards := shown["cards"].(map[string]any)
	for label, n := range map[string]int{"要素新增": want.Counts.FeaturesAdded, "要素删除": want.Counts.FeaturesRemoved, "边界调整": want.Counts.GeometryChanged,
		"条款修改": want.Counts.ClausesChanged, "条款新增": want.Counts.ClausesAdded} {
		assert.Equal(t, strconv.Itoa(n), cards[label], label) // under 1,000: no grouping
	}
	assert.Equal(t, 1, want.Counts.FeaturesAdded, "the fixture splits a general unit in two")
	features := shown["features"].([]any)
	require.Len(t, features, len(want.Features))
	joined := strings.Join(toStrings(features), "\n")
	assert.Contains(t, joined, "ZH50010130002|万州区一般管控单元2|新增|")
	assert.Contains(t, joined, "ZH50010110001|万州区优先保护单元|修改（边界）|+")
	assert.Len(t, shown["clauses"], len(want.Clauses))
	assert.Contains(t, shown["versions"], "从 v1（")
	saveScreenshot(t, ctx, "datasets-diff.png")

	// Leaving out the modified features leaves the added one.
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.ds-ffilter[value="modified"]`))))
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#ds-features tbody tr").length`))
	require.NoError(t, err)
	assert.Equal(t, want.Counts.FeaturesAdded+want.Counts.FeaturesRemoved, n)
	title, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("ds-features-title").textContent`))
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("要素（%d 条变化，按类型筛选后 %d 条）", len(want.Features), n), title)
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`.ds-ffilter[value="modified"]`))))

	// v2 → v3: the payloads are text.
	require.NoError(t, chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#ds-from"), "v2"), chromedp.SetValue(chromedp.CSS("#ds-to"), "v3"),
		chromedp.Click(chromedp.CSS("#ds-compare"))))
	text, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.getElementById("ds-diff-versions").textContent; return t.includes("v3") ? document.getElementById("ds-diff").textContent : null })()`,
		chromedp.WithPollingTimeout(30*time.Second)))
	require.NoError(t, err)
	assert.Contains(t, text, payloadImg, "the renamed unit's new name, as text")
	assert.Contains(t, text, "禁止新建燃煤电厂。"+payloadScript)
	assertInert(t, ctx, "datasets page")

	// The same version twice is refused on the page.
	require.NoError(t, chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS("#ds-to"), "v2"), chromedp.Click(chromedp.CSS("#ds-compare"))))
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`document.getElementById("ds-error").textContent || null`))
	require.NoError(t, err)
	assert.Equal(t, "请选择两个不同的版本。", msg)
	assert.Empty(t, problems(), "CSP violations or script errors")

	// One dataset: nothing to compare, said so.
	single := startServe(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(single.base+"/datasets")))
	status, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.getElementById("ds-versions-status").textContent; return t.includes("个") ? t : null })()`))
	require.NoError(t, err)
	assert.Contains(t, status, "没有其他版本可比较")
	disabled, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("ds-compare").disabled`))
	require.NoError(t, err)
	assert.True(t, disabled)
}

func toStrings(v []any) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i], _ = x.(string)
	}
	return out
}
