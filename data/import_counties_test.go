package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	shp "github.com/jonas-p/go-shp"
	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
)

// TestImportCountyAliases: an access list written with one code of a
// county (开县 500234, by code and by name) imports onto data drawn with
// the other (开州区 500154), both ways, through the alias table, and says
// so; a code no alias fits is still an invalid clause.
func TestImportCountyAliases(t *testing.T) {
	for _, tt := range []struct {
		name           string
		dataCounty     string // county code of the shapefiles
		dataName       string
		listCounty     string // county code the access list uses
		wantRetiredIDs int    // retired_county_code warnings of validation on the units
	}{
		{"old list, new data", "500154", "开州区", "500234", 0},
		{"new list, old data", "500234", "开县", "500154", 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			units := shpFixture{typ: shp.POLYGON, prj: prjCGCS2000,
				fields: []shpField{{"HJZHGKDYBM", 'C', 20}, {"HJZHGKDYMC", 'C', 80}, {"ZHGKDYFL", 'N', 2}},
				rows:   [][]any{{"ZH" + tt.dataCounty + "10001", "优先保护单元", 1}, {"ZH" + tt.dataCounty + "20001", "重点管控单元", 2}},
				parts:  [][][]orb.Point{{rect(108.40, 31.10, 108.45, 31.20, true)}, {rect(108.45, 31.10, 108.50, 31.20, true)}}}
			districts := shpFixture{typ: shp.POLYGON, prj: prjCGCS2000,
				fields: []shpField{{"XZQDM", 'C', 6}, {"XZQMC", 'C', 40}},
				rows:   [][]any{{tt.dataCounty, tt.dataName}},
				parts:  [][][]orb.Point{{rect(108.40, 31.10, 108.50, 31.20, true)}}}
			list := accessXLSX(t,
				accessSheet{name: "区县准入清单", rows: [][]any{
					{"区县代码", "区县名称", "空间布局约束", "污染物排放管控"},
					{tt.listCounty, "", "1-1 禁止新建化工项目。", "2-1 严格控制新建水泥项目。"},
					{nil, "开县", "1-2 禁止新建造纸项目。", nil},
					{"500103", "渝中区", "1-1 禁止新建工业项目。", nil},
				}},
				accessSheet{name: "环境管控单元准入清单", rows: [][]any{
					{"环境管控单元编码", "环境管控单元名称", "空间布局约束"},
					{"ZH" + tt.listCounty + "10001", "优先保护单元", "1-1 禁止新建、扩建工业项目。"},
					{"ZH" + tt.listCounty + "20001", "重点管控单元", "1-1 禁止新建电镀项目。"},
				}})
			listPath := filepath.Join(dir, "清单.xlsx")
			require.NoError(t, os.WriteFile(listPath, list, 0o644))
			inputs := []string{writeShp(t, dir, "units", units), writeShp(t, dir, "districts", districts)}
			im, rep := importAndValidate(t, inputs, ImportOptions{AccessList: listPath})

			var alias []string
			for _, w := range im.Warnings {
				if w.Code == WarnCountyAlias {
					alias = append(alias, w.Message)
				}
			}
			require.Len(t, alias, 2, "%v", im.Warnings)
			assert.Contains(t, alias[0], "条区县条款的区县代码是 "+tt.listCounty)
			assert.Contains(t, alias[0], "数据中是 "+tt.dataCounty)
			assert.Contains(t, alias[1], "2 条单元条款的单元编码中的区县代码是 "+tt.listCounty)
			if tt.listCounty == "500234" {
				assert.Contains(t, alias[0], "500234（开县，已撤销）")
			}

			scopes := map[string]int{}
			for _, c := range im.Contents.Rules.Clauses {
				scopes[c.Scope.County+c.Scope.Unit]++
			}
			assert.Equal(t, 3, scopes[tt.dataCounty], "both district rows (code and old name) on the data's code: %v", scopes)
			assert.Equal(t, 1, scopes["ZH"+tt.dataCounty+"10001"])
			assert.Equal(t, 1, scopes["ZH"+tt.dataCounty+"20001"])
			assert.Zero(t, scopes[tt.listCounty], "%v", scopes)

			// 渝中区 has no alias and is not in the data: still an error.
			var invalid []string
			retired := 0
			for _, p := range rep.Errors {
				if p.Code == admission.CodeInvalidClause {
					invalid = append(invalid, strings.Join(p.Related, ","), p.Message)
				}
			}
			for _, p := range rep.Warnings {
				if p.Code == admission.CodeRetiredCounty && p.Layer == admission.LayerControlUnits {
					retired++
				}
			}
			require.NotEmpty(t, invalid)
			assert.True(t, slices.ContainsFunc(invalid, func(s string) bool { return strings.Contains(s, "500103") }), "%v", invalid)
			assert.Equal(t, tt.wantRetiredIDs, retired, "old unit codes in the data stay as they are, with validation's warning")
		})
	}
}
