package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/geo"
)

func TestDiffCommandText(t *testing.T) {
	f := writeVersions(t)
	code, out, errOut := runCmd(t, "diff", filepath.Join(f.dir, "v1"), filepath.Join(f.dir, "v2"))
	require.Equal(t, 0, code, errOut)
	t.Log("\n" + out)

	// W grows by the strip 106.55–106.56 × 29.50–29.60; E loses it.
	strip := geo.Area(square(106.55, 29.50, 106.56, 29.60))
	grow := "+" + strings.TrimSuffix(haText(strip), " 公顷")
	for _, want := range []string{
		"数据集版本比较：v1 → v2",
		"旧：万州区生态环境分区管控，版本 2020.1，" + f.checksum["2020.1"],
		"新：万州区生态环境分区管控（2023 年调整），版本 2023.1",
		"概况：要素新增 1、删除 0、边界调整 3、类别变化 0、名称变化 0；条款新增 0、删除 0、修改 1。",
		"环境管控单元（control_units）",
		"环境管控单元 ZH50010110001「万州区优先保护单元」：边界调整，面积 " + haText(geo.Area(square(106.50, 29.50, 106.55, 29.60))) + " → " + haText(geo.Area(square(106.50, 29.50, 106.56, 29.60))),
		grow + " 公顷",
		"新增环境管控单元 ZH50010130002「万州区一般管控单元2」（一般管控单元），面积 " + haText(geo.Area(square(106.60, 29.55, 106.62, 29.60))),
		"准入清单条款\n  单元 万州区优先保护单元（ZH50010110001）\n    修改条款 ZH50010110001-1-01（单元 万州区优先保护单元（ZH50010110001），空间布局约束 1-1，禁止）：原文「禁止新建工业项目。」→「禁止新建、扩建工业项目。」",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "区县（districts）", "the district did not change")
	assert.NotContains(t, out, "ZH50010120001-1-01", "E's clause did not change")

	t.Run("identical", func(t *testing.T) {
		code, out, errOut := runCmd(t, "diff", filepath.Join(f.dir, "v1"), filepath.Join(f.dir, "v1"))
		require.Equal(t, 0, code, errOut)
		assert.Contains(t, out, "两个版本的图层、要素（边界、类别、名称）与准入清单条款均相同。")
	})
}

// haText is how the summaries write an area: 公顷, two decimals, grouped.
func haText(m2 float64) string { return groupDigits(m2/10000, 2) + " 公顷" }

func TestDiffCommandJSON(t *testing.T) {
	f := writeVersions(t)
	code, out, errOut := runCmd(t, "diff", "--format", "json", "v1", "--data", f.dir, "v2")
	require.Equal(t, 0, code, errOut)
	var d struct {
		FromID string `json:"from_id"`
		ToID   string `json:"to_id"`
		admission.DatasetDiff
	}
	require.NoError(t, json.Unmarshal([]byte(out), &d))
	assert.Equal(t, "v1", d.FromID)
	assert.Equal(t, "v2", d.ToID)
	assert.Equal(t, "2020.1", d.From.Version)
	assert.Equal(t, f.checksum["2023.1"], d.To.Checksum)
	assert.Equal(t, admission.DiffCounts{FeaturesAdded: 1, GeometryChanged: 3, ClausesChanged: 1}, d.Counts)
	var changes []string
	for _, c := range d.Features {
		changes = append(changes, c.ID+" "+c.Change+" "+strings.Join(c.Fields, ","))
	}
	assert.Equal(t, []string{
		"ZH50010110001 modified geometry",
		"ZH50010120001 modified geometry",
		"ZH50010130001 modified geometry",
		"ZH50010130002 added ",
	}, changes)
	w := d.Features[0]
	before, after := geo.Area(square(106.50, 29.50, 106.55, 29.60)), geo.Area(square(106.50, 29.50, 106.56, 29.60))
	assert.InDelta(t, before, *w.Before.AreaM2, 0.01)
	assert.InDelta(t, after, *w.After.AreaM2, 0.01)
	assert.InDelta(t, after-before, *w.AreaChangeM2, 0.02)
	assert.InDelta(t, (after-before)/1e4, *w.AreaChangeHa, 0.006)
	require.Len(t, d.Clauses, 1)
	assert.Equal(t, "ZH50010110001-1-01", d.Clauses[0].ID)
	assert.Equal(t, []string{"text"}, d.Clauses[0].Fields)

	// Folders give the same diff, named by folder.
	code, out2, errOut := runCmd(t, "diff", "--format", "json", filepath.Join(f.dir, "v1"), filepath.Join(f.dir, "v2"))
	require.Equal(t, 0, code, errOut)
	assert.JSONEq(t, out, out2)
}

func TestDiffCommandErrors(t *testing.T) {
	f := writeVersions(t)
	single := writeTestDataset(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"one version", []string{"v1", "--data", f.dir}, 2, "应给出两个版本"},
		{"three versions", []string{"a", "b", "c"}, 2, "应给出两个版本"},
		{"bad format", []string{"v1", "v2", "--data", f.dir, "--format", "xml"}, 2, "--format"},
		{"unknown version", []string{"v1", "v9", "--data", f.dir}, 2, `版本 "v9" 不在`},
		{"path as version id", []string{"v1", "../v2", "--data", f.dir}, 2, "invalid version id"},
		{"--data is a single dataset", []string{"v1", "v2", "--data", single}, 2, "不是版本目录"},
		{"missing folder", []string{filepath.Join(f.dir, "v1"), filepath.Join(f.dir, "none")}, 1, "数据集加载失败"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCmd(t, append([]string{"diff"}, tt.args...)...)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, out)
			assert.Contains(t, stderr, tt.want)
		})
	}
	t.Run("damaged version", func(t *testing.T) {
		damageLayer(t, filepath.Join(f.dir, "v2"), admission.LayerControlUnits)
		code, _, stderr := runCmd(t, "diff", "v1", "v2", "--data", f.dir)
		assert.Equal(t, 1, code)
		assert.Contains(t, stderr, data.ErrChecksum.Error())
	})
	t.Run("help", func(t *testing.T) {
		code, out, _ := runCmd(t, "diff", "--help")
		assert.Equal(t, 0, code)
		assert.Contains(t, out, "用法：sanxian diff")
	})
	t.Run("listed in the usage", func(t *testing.T) {
		_, out, _ := runCmd(t, "help")
		assert.Contains(t, out, "sanxian diff")
	})
}
