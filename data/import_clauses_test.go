package data

import (
	"os"
	"path/filepath"
	"testing"

	shp "github.com/jonas-p/go-shp"
	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
)

// TestImportClausesJudgedAlikeBySource: the same clause text becomes the
// same clause (effect, machine-readable or not, industries, construction)
// whether it comes from a unit layer's attribute column or from an access
// list, so that a verdict does not depend on which file an agency used.
func TestImportClausesJudgedAlikeBySource(t *testing.T) {
	const text = "1-1 禁止新建造纸项目。\n1-2 严格控制新建水泥项目。\n1-3 禁止新建化工项目。\n1-4 鼓励发展生态旅游。"
	dir := t.TempDir()
	units := writeShp(t, dir, "units", shpFixture{typ: shp.POLYGON, prj: prjCGCS2000,
		fields: []shpField{{"HJZHGKDYBM", 'C', 20}, {"HJZHGKDYMC", 'C', 80}, {"ZHGKDYFL", 'N', 2}, {"KJBJYS", 'C', 254}},
		rows:   [][]any{{"ZH50010110001", "甲", 1, text}, {"ZH50010120001", "乙", 2, ""}},
		parts:  [][][]orb.Point{{rect(106.50, 29.50, 106.55, 29.60, true)}, {rect(106.55, 29.50, 106.60, 29.60, true)}}})
	list := filepath.Join(dir, "清单.xlsx")
	require.NoError(t, os.WriteFile(list, accessXLSX(t, accessSheet{name: "单元", rows: [][]any{
		{"环境管控单元编码", "空间布局约束"},
		{"ZH50010120001", text},
	}}), 0o644))
	im, _ := importAndValidate(t, []string{units}, ImportOptions{AccessList: list})

	byUnit := map[string]map[string]admission.Clause{}
	for _, c := range im.Contents.Rules.Clauses {
		if byUnit[c.Scope.Unit] == nil {
			byUnit[c.Scope.Unit] = map[string]admission.Clause{}
		}
		byUnit[c.Scope.Unit][c.Number] = c
	}
	attr, listed := byUnit["ZH50010110001"], byUnit["ZH50010120001"]
	require.Len(t, attr, 4, "from the attribute column")
	require.Len(t, listed, 4, "from the access list")
	machine := 0
	for n, a := range attr {
		l := listed[n]
		assert.Equal(t, l.Text, a.Text, n)
		assert.Equal(t, l.Effect, a.Effect, n)
		assert.Equal(t, l.Machine, a.Machine, "%s %s", n, a.Text)
		assert.Equal(t, l.Industries, a.Industries, n)
		assert.Equal(t, l.Construction, a.Construction, n)
		if a.Machine {
			machine++
		}
	}
	assert.Equal(t, 2, machine, "造纸 and 水泥 are sure industries; 化工 and an encouragement stay free text")
	assert.True(t, attr["1-1"].Machine)
	assert.False(t, attr["1-3"].Machine)
}
