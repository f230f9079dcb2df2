package report

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/geo"
)

// answer is a check answer in unit unitID with the given clause outcome.
func answer(version, unitID, verdict, clause string) *admission.CheckResult {
	return &admission.CheckResult{
		Dataset: admission.DatasetRef{Name: "d", Version: version, Checksum: "sha256:" + version},
		CRS:     "EPSG:4490", Hits: []admission.Hit{{Hit: geo.Hit{Layer: admission.LayerControlUnits, ID: unitID, Relation: geo.Within}, Name: "单元" + unitID}},
		Notes: []string{},
		Assessment: &admission.Assessment{Verdict: verdict, Clauses: []admission.ClauseResult{
			{ID: clause, Outcome: admission.OutcomeTriggered},
			{ID: "CQ-9", Outcome: admission.OutcomeNotApplicable},
		}},
	}
}

func TestCompareChecks(t *testing.T) {
	stored, err := json.Marshal(answer("1", "U1", admission.VerdictProhibited, "U1-1"))
	require.NoError(t, err)

	d, err := CompareChecks(stored, answer("2", "U1", admission.VerdictProhibited, "U1-1"))
	require.NoError(t, err)
	assert.True(t, d.Same(), "another dataset version with the same answer: %+v", d)

	d, err = CompareChecks(stored, answer("2", "U2", admission.VerdictCompatible, "U2-1"))
	require.NoError(t, err)
	assert.False(t, d.Same())
	assert.Equal(t, &Change{Stored: admission.VerdictProhibited, Current: admission.VerdictCompatible}, d.Verdict)
	assert.Equal(t, []HitRef{{Layer: admission.LayerControlUnits, ID: "U2", Name: "单元U2", Relation: "within"}}, d.HitsAdded)
	assert.Equal(t, []HitRef{{Layer: admission.LayerControlUnits, ID: "U1", Name: "单元U1", Relation: "within"}}, d.HitsRemoved)
	assert.Equal(t, []ClauseRef{{ID: "U2-1", Outcome: admission.OutcomeTriggered}}, d.ClausesAdded)
	assert.Equal(t, []ClauseRef{{ID: "U1-1", Outcome: admission.OutcomeTriggered}}, d.ClausesRemoved, "not_applicable clauses are not listed")
	assert.Equal(t, []string{"assessment", "hits"}, d.Fields)

	// A note alone differs: same verdict, units and clauses, still not
	// the same answer.
	cur := answer("1", "U1", admission.VerdictProhibited, "U1-1")
	cur.Notes = []string{"新增说明"}
	d, err = CompareChecks(stored, cur)
	require.NoError(t, err)
	assert.Equal(t, Diff{Fields: []string{"notes"}}, d)

	_, err = CompareChecks([]byte("{"), cur)
	assert.Error(t, err)
}

func TestCompareRows(t *testing.T) {
	t1, t2 := time.Unix(1, 0), time.Unix(2, 0)
	share := 1.0
	a := batch.Result{Seq: 3, Outcome: "restricted", Label: "限制准入", Units: []batch.UnitPart{{ID: "U1", Name: "甲", Share: &share}},
		Clauses: []string{"U1-2"}, Dataset: "d@1", DatasetChecksum: "sha256:1", CheckedAt: &t1}
	b := a
	b.Dataset, b.DatasetChecksum, b.CheckedAt = "d@2", "sha256:2", &t2
	d, err := CompareRows(a, b)
	require.NoError(t, err)
	assert.True(t, d.Same(), "dataset and time are not compared: %+v", d)

	b.Outcome, b.RedLine = "prohibited", &batch.Overlap{Share: 1}
	d, err = CompareRows(a, b)
	require.NoError(t, err)
	assert.Equal(t, &Change{Stored: "restricted", Current: "prohibited"}, d.Verdict)
	assert.Equal(t, []HitRef{{Layer: admission.LayerEcoRedline, Name: "生态保护红线"}}, d.HitsAdded)
	assert.Equal(t, []string{"outcome", "red_line"}, d.Fields)
}
