package main

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/internal/pgtest"
)

// storedReport is what GET /api/v1/reports/{id} answers, in part.
type storedReport struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Verdict string `json:"verdict"`
	Dataset struct {
		Version  string `json:"version"`
		Checksum string `json:"checksum"`
	} `json:"dataset"`
	Result     json.RawMessage `json:"result"`
	Reproduced *struct {
		Same        *bool  `json:"same"`
		SameDataset bool   `json:"same_dataset"`
		Message     string `json:"message"`
		Dataset     struct {
			Version string `json:"version"`
		} `json:"dataset"`
		Differences *struct {
			Verdict   *struct{ Stored, Current string } `json:"verdict"`
			HitsAdded []struct {
				Layer, ID string
			} `json:"hits_added"`
			HitsRemoved []struct {
				Layer, ID string
			} `json:"hits_removed"`
			ClausesAdded   []struct{ ID string } `json:"clauses_added"`
			ClausesRemoved []struct{ ID string } `json:"clauses_removed"`
			Fields         []string              `json:"fields"`
		} `json:"differences"`
	} `json:"reproduced"`
}

func getReport(t *testing.T, base, id string) storedReport {
	t.Helper()
	code, body := call(t, http.DefaultClient, "GET", base+"/api/v1/reports/"+id, "")
	require.Equal(t, http.StatusOK, code, "%s", body)
	var r storedReport
	require.NoError(t, json.Unmarshal(body, &r), "%s", body)
	return r
}

// TestReportsSurviveKillAndDatasetChange: report ids handed out by a
// server killed with SIGKILL right after answering are all there after a
// restart on the same state directory (each id was durable before it was
// sent); re-running them on the same version gives the same answer, and
// after v2 is activated the probe's report names what changed: the site
// now lies in W instead of E and another clause decides.
func TestReportsSurviveKillAndDatasetChange(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	f := writeVersions(t)
	state := t.TempDir()
	p := startProc(t, "--data", f.dir, "--state-dir", state, "--admin-token", adminToken)

	const workers, each = 8, 25
	ids := make(chan string, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				res, err := http.Get(p.base + probe)
				if !assert.NoError(t, err) {
					return
				}
				var body struct {
					ReportID string `json:"report_id"`
				}
				assert.NoError(t, json.NewDecoder(res.Body).Decode(&body))
				res.Body.Close()
				assert.Equal(t, http.StatusOK, res.StatusCode)
				assert.Equal(t, body.ReportID, res.Header.Get("X-Report-ID"))
				if assert.NotEmpty(t, body.ReportID) {
					ids <- body.ReportID
				}
			}
		})
	}
	wg.Wait()
	p.kill()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		assert.False(t, seen[id], "duplicate id %s", id)
		seen[id] = true
	}
	require.Len(t, seen, workers*each)

	p2 := startProc(t, "--data", f.dir, "--state-dir", state, "--admin-token", adminToken)
	var probeID string
	for id := range seen {
		code, body := call(t, http.DefaultClient, "GET", p2.base+"/api/v1/reports/"+id+"?rerun=0", "")
		require.Equal(t, http.StatusOK, code, "report %s lost by kill -9: %s", id, body)
		probeID = id
	}
	r := getReport(t, p2.base, probeID)
	assert.Equal(t, "api", r.Kind)
	assert.Equal(t, "prohibited", r.Verdict)
	assert.Equal(t, f.checksum["2020.1"], r.Dataset.Checksum)
	_, err := f.checkProbe(r.Result)
	require.NoError(t, err, "the stored answer is the v1 answer")
	require.NotNil(t, r.Reproduced)
	require.NotNil(t, r.Reproduced.Same)
	assert.True(t, *r.Reproduced.Same, r.Reproduced.Message)
	assert.True(t, r.Reproduced.SameDataset)

	code, body := call(t, http.DefaultClient, "POST", p2.base+"/api/v1/admin/datasets/v2/activate", adminToken)
	require.Equal(t, http.StatusOK, code, "%s", body)
	r = getReport(t, p2.base, probeID)
	assert.Equal(t, "2020.1", r.Dataset.Version, "the record keeps its version")
	require.NotNil(t, r.Reproduced.Same)
	assert.False(t, *r.Reproduced.Same)
	assert.False(t, r.Reproduced.SameDataset)
	assert.Equal(t, "2023.1", r.Reproduced.Dataset.Version)
	d := r.Reproduced.Differences
	require.NotNil(t, d, r.Reproduced.Message)
	assert.Nil(t, d.Verdict, "prohibited in both versions")
	assert.Contains(t, d.HitsAdded, struct{ Layer, ID string }{"control_units", "ZH50010110001"})
	assert.Contains(t, d.HitsRemoved, struct{ Layer, ID string }{"control_units", "ZH50010120001"})
	assert.Equal(t, []struct{ ID string }{{"ZH50010110001-1-01"}}, d.ClausesAdded)
	assert.Equal(t, []struct{ ID string }{{"ZH50010120001-1-01"}}, d.ClausesRemoved)
	assert.Contains(t, d.Fields, "assessment")
	assert.Contains(t, r.Reproduced.Message, "万州区优先保护单元")
}

// TestReportsSharedByReplicas: two replicas on one PostgreSQL store; an id
// handed out by one resolves on the other, also after the first is
// killed.
func TestReportsSharedByReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and starts PostgreSQL")
	}
	url := pgtest.Shared(t).NewDatabase(t)
	a := startProc(t, "--store", url, "--worker-id", "replica-a")
	b := startProc(t, "--store", url, "--worker-id", "replica-b")
	res, err := http.Get(a.base + "/api/v1/check?lon=106.569&lat=29.553&industry=C2614")
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	id := res.Header.Get("X-Report-ID")
	require.NotEmpty(t, id)
	a.kill()
	r := getReport(t, b.base, id)
	assert.Equal(t, id, r.ID)
	require.NotNil(t, r.Reproduced.Same)
	assert.True(t, *r.Reproduced.Same, r.Reproduced.Message)
}

// With --reports off checks are answered without a report id; a report
// recorded before, on the same state directory, still resolves; a bad
// value is refused.
func TestReportsOff(t *testing.T) {
	state := t.TempDir()
	const check = "/api/v1/check?lon=106.569&lat=29.553&industry=C2614"
	on := startServe(t, "--state-dir", state)
	code, body := call(t, http.DefaultClient, "GET", on.base+check, "")
	require.Equal(t, http.StatusOK, code, "%s", body)
	var first struct {
		ReportID string `json:"report_id"`
	}
	require.NoError(t, json.Unmarshal(body, &first))
	require.NotEmpty(t, first.ReportID)
	require.Zero(t, on.stop(t))

	off := startServe(t, "--state-dir", state, "--reports", "off")
	res, err := http.Get(off.base + check)
	require.NoError(t, err)
	defer res.Body.Close()
	var answer map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&answer))
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotContains(t, answer, "report_id")
	assert.NotContains(t, answer, "report_warning", "not recording is not a failure to record")
	assert.Empty(t, res.Header.Get("X-Report-ID"))
	assert.Equal(t, first.ReportID, getReport(t, off.base, first.ReportID).ID)

	c, _, errOut := runCmd(t, "serve", "--reports", "maybe")
	assert.Equal(t, 2, c)
	assert.Contains(t, errOut, "--reports")
}
