package main

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBatchPageScratchAriaCurrent(t *testing.T) {
	srv := startServe(t, "--batch-workers", "2")
	base := srv.base
	id := uploadList(t, base, writeList(t, 30, 1))
	waitFinished(t, base, id, 30*time.Second)
	ctx := browser(t)
	_, err := chromedp.Run(ctx, func(ctx context.Context, tg *chromedp.Target) (bool, error) {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `(() => {
			const f = window.fetch;
			window.fetch = async (u, o) => {
				const r = await f(u, o);
				if (/^\/api\/v1\/batches\/[0-9a-f]+$/.test(String(u))) await new Promise(res => setTimeout(res, 300));
				return r;
			};
		})()`})
		return true, err
	})
	require.NoError(t, err)
	openBatch(t, ctx, base, "?job="+id)
	waitFinishedView(t, ctx, 10*time.Second)
	cur, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#batch-jobs a[aria-current=true]").length`))
	require.NoError(t, err)
	assert.Equal(t, 1, cur, "job list marks the job shown")
	saveScreenshot(t, ctx, "scratch-aria.png")
}
