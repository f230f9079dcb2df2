package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
)

func TestCheckWithProjectGivesAssessment(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	cases := []struct {
		name, body, verdict, clause string
	}{
		{"red line", `{"wkt": "POINT(106.525 29.525)", "industry": "i6450", "construction": "新建"}`, admission.VerdictProhibited, "CQ-1-01"},
		{"allowed activity", `{"wkt": "POINT(106.525 29.525)", "industry": "N7810", "activity": "linear_infrastructure"}`, admission.VerdictReview, "CQ-1-01"},
		{"textiles in the park", `{"wkt": "POINT(106.57 29.55)", "industry": "C1713"}`, admission.VerdictProhibited, "ZH50010120001-1-01"},
		{"no industry in the park", `{"wkt": "POINT(106.57 29.55)"}`, admission.VerdictInsufficient, "ZH50010120001-1-01"},
		{"data centre in the park", `{"wkt": "POINT(106.57 29.55)", "industry": "I6450"}`, admission.VerdictCompatible, "ZH50010120001-1-01"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, http.MethodPost, ts.URL+"/api/v1/check", tc.body)
			require.Equal(t, http.StatusOK, r.Status, "%s", r.Body)
			var res admission.CheckResult
			require.NoError(t, json.Unmarshal(r.Body, &res))
			require.NotNil(t, res.Assessment)
			assert.Equal(t, tc.verdict, res.Assessment.Verdict)
			assert.NotEmpty(t, res.Assessment.Label)
			ids := []string{}
			for _, c := range res.Assessment.Clauses {
				ids = append(ids, c.ID)
			}
			assert.Contains(t, ids, tc.clause)
		})
	}
	// The industry comes back normalised.
	r := do(t, http.MethodGet, ts.URL+"/api/v1/check?lon=106.525&lat=29.525&industry=i6450", "")
	require.Equal(t, http.StatusOK, r.Status)
	var res admission.CheckResult
	require.NoError(t, json.Unmarshal(r.Body, &res))
	assert.Equal(t, "I6450", res.Assessment.Industry.Code)
	assert.Equal(t, "互联网数据服务", res.Assessment.Industry.Name)
}

func TestUnknownIndustryListsClosest(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	for _, code := range []string{"C2699", "C26X", "99"} {
		r := do(t, http.MethodPost, ts.URL+"/api/v1/check", `{"wkt": "POINT(106.525 29.525)", "industry": "`+code+`"}`)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", code, r.Body)
		e := errorOf(t, r)
		assert.Equal(t, CodeUnknownIndustry, e.Code)
		assert.Contains(t, e.Message, code)
	}
	r := do(t, http.MethodPost, ts.URL+"/api/v1/check", `{"wkt": "POINT(106.525 29.525)", "industry": "C2699"}`)
	e := errorOf(t, r)
	assert.Contains(t, e.Message, "C2689")
	r = do(t, http.MethodPost, ts.URL+"/api/v1/check", `{"wkt": "POINT(106.525 29.525)", "construction": "翻新"}`)
	assert.Equal(t, http.StatusBadRequest, r.Status)
	assert.Contains(t, errorOf(t, r).Message, "技术改造")
	r = do(t, http.MethodPost, ts.URL+"/api/v1/check", `{"wkt": "POINT(106.525 29.525)", "activity": "fishing"}`)
	assert.Equal(t, http.StatusBadRequest, r.Status)
}

func TestIndustriesAndRulesRoutes(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	var ind struct {
		Industries []admission.Industry `json:"industries"`
	}
	r := do(t, http.MethodGet, ts.URL+"/api/v1/industries?q=C261&limit=3", "")
	require.Equal(t, http.StatusOK, r.Status)
	require.NoError(t, json.Unmarshal(r.Body, &ind))
	require.Len(t, ind.Industries, 3)
	assert.Equal(t, "C261", ind.Industries[0].Code)
	r = do(t, http.MethodGet, ts.URL+"/api/v1/industries?q="+url.QueryEscape("数据服务"), "")
	require.Equal(t, http.StatusOK, r.Status)
	require.NoError(t, json.Unmarshal(r.Body, &ind))
	require.NotEmpty(t, ind.Industries)
	assert.Equal(t, http.StatusBadRequest, do(t, http.MethodGet, ts.URL+"/api/v1/industries", "").Status)

	var rules struct {
		Clauses []admission.Clause `json:"clauses"`
	}
	r = do(t, http.MethodGet, ts.URL+"/api/v1/rules?unit=ZH50010120001", "")
	require.Equal(t, http.StatusOK, r.Status)
	require.NoError(t, json.Unmarshal(r.Body, &rules))
	require.Len(t, rules.Clauses, 1)
	assert.Equal(t, "ZH50010120001-1-01", rules.Clauses[0].ID)
	r = do(t, http.MethodGet, ts.URL+"/api/v1/rules?level=city", "")
	require.NoError(t, json.Unmarshal(r.Body, &rules))
	require.Len(t, rules.Clauses, 1)
	assert.Equal(t, "CQ-1-01", rules.Clauses[0].ID)
	assert.Equal(t, http.StatusNotFound, do(t, http.MethodGet, ts.URL+"/api/v1/rules?district=500199", "").Status)
}

func TestFeatureListsItsAccessListClauses(t *testing.T) {
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	r := do(t, http.MethodGet, ts.URL+"/api/v1/features/control_units/ZH50010120001", "")
	require.Equal(t, http.StatusOK, r.Status)
	var f struct {
		Properties struct {
			Clauses []admission.Clause `json:"clauses"`
		} `json:"properties"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &f))
	require.Len(t, f.Properties.Clauses, 1)
	assert.Equal(t, "ZH50010120001-1-01", f.Properties.Clauses[0].ID)
	r = do(t, http.MethodGet, ts.URL+"/api/v1/features/eco_redline/HX500000-0001", "")
	require.NoError(t, json.Unmarshal(r.Body, &f))
	require.Len(t, f.Properties.Clauses, 1)
	assert.Equal(t, "CQ-1-01", f.Properties.Clauses[0].ID)
}
