package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
// machines (no network, fresh profile).
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Headless, chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// The start page, driven as a person would: type a point, an industry
// and a construction type, submit, read the verdict and its clauses.
func TestStartPageInBrowser(t *testing.T) {
	base := startServe(t).base
	ctx := browser(t)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/")))
	require.NoError(t, chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#form"))))
	notice, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.getElementById("dataset").textContent; return t.includes("合成") ? t : null })()`))
	require.NoError(t, err)
	assert.Contains(t, notice, "非官方数据")

	for _, step := range []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS("#lon"), "106.569"),
		chromedp.SetValue(chromedp.CSS("#lat"), "29.553"),
		chromedp.SetValue(chromedp.CSS("#buffer"), "0"),
		chromedp.SendKeys(chromedp.CSS("#industry"), "C2614"),
		chromedp.SetValue(chromedp.CSS("#construction"), "新建"),
		chromedp.Click(chromedp.CSS("button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(".verdict")),
	} {
		require.NoError(t, chromedp.Do(ctx, step))
	}
	verdict, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(".verdict")))
	require.NoError(t, err)
	assert.Contains(t, verdict, "禁止准入")
	clauses, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#result")))
	require.NoError(t, err)
	assert.Contains(t, clauses, "CQ-1-06")
	assert.Contains(t, clauses, "最近 658 m，小于 1000 m")
	assert.Contains(t, clauses, "渝中区")

	// Bad input gets a Chinese message, not a blank panel.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/?lon=abc&lat=29.5")))
	msg, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const e = document.querySelector("#result .error"); return e ? e.textContent : null })()`))
	require.NoError(t, err)
	assert.Contains(t, msg, "经度")

	// Outside the data: no verdict, and the page says why.
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate(base+"/?"+url.Values{"lon": {"100"}, "lat": {"30"}, "industry": {"C2614"}}.Encode())))
	out, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const t = document.getElementById("result").textContent; return t.includes("覆盖范围") ? t : null })()`))
	require.NoError(t, err)
	assert.True(t, strings.Contains(out, "无法给出准入结论"), out)
}
