package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/paulmach/orb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/geo"
)

func rectangle(x0, y0, x1, y1 float64) orb.Polygon {
	return orb.Polygon{{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}}
}

// writeValidateDataset writes 渝中区 (106.55–106.57 × 29.55–29.57) and two
// units whose common edge is at x = 106.56; eastOfA moves A's east edge:
// past 106.56 the units overlap, short of it they leave a gap.
//
//	29.57 +-------+-------+
//	      |   A  →|   B   |
//	29.55 +-------+-------+
//	   106.55  106.56  106.57
func writeValidateDataset(t *testing.T, eastOfA float64) string {
	t.Helper()
	layers := []admission.Layer{
		{ID: admission.LayerDistricts, Title: "区县", Role: admission.RolePartition, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "500103", Name: "渝中区", Category: "区", Geometry: rectangle(106.55, 29.55, 106.57, 29.57)},
		}},
		{ID: admission.LayerControlUnits, Title: "环境管控单元", Role: admission.RolePartition, Kind: admission.KindPolygon, Features: []admission.Feature{
			{ID: "ZH50010310001", Name: "渝中区优先保护单元", Category: admission.CategoryPriority, Geometry: rectangle(106.55, 29.55, eastOfA, 29.57)},
			{ID: "ZH50010320001", Name: "渝中区重点管控单元", Category: admission.CategoryKey, Geometry: rectangle(106.56, 29.55, 106.57, 29.57)},
		}},
	}
	info := admission.Info{Name: "校验测试", Version: "v.1", Published: "2026-01-01", CRS: "EPSG:4490", Source: "测试", Synthetic: true}
	dir := filepath.Join(t.TempDir(), "dataset")
	_, err := data.WriteDataset(dir, data.Contents{Info: info, Layers: layers})
	require.NoError(t, err)
	return dir
}

func runValidate(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"validate"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func TestValidateCommandOverlapIsAnError(t *testing.T) {
	dir := writeValidateDataset(t, 106.562)
	code, out, errOut := runValidate(dir)
	assert.Equal(t, exitFail, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Empty(t, errOut)
	for _, want := range []string{
		"数据集：校验测试，版本 v.1",
		"结论：未通过，1 个错误，0 个警告",
		"环境管控单元（control_units）：核查 2 个要素，外包框相交 1 对；重叠 1 处",
		"错误（1）：",
		"1. 环境管控单元（control_units） / ZH50010310001［partition_overlap］",
		"与单元 ZH50010320001（渝中区重点管控单元）重叠 429,676 平方米；分区图层的要素不应重叠",
		"位置 106.561000, 29.5",
		"相关 ZH50010320001",
	} {
		assert.Contains(t, out, want)
	}
	assert.NotContains(t, out, "\n警告（")
}

func TestValidateCommandJSON(t *testing.T) {
	dir := writeValidateDataset(t, 106.562)
	code, out, _ := runValidate("--format", "json", dir)
	assert.Equal(t, exitFail, code)
	var r admission.Report
	require.NoError(t, json.Unmarshal([]byte(out), &r), out)
	require.Len(t, r.Errors, 1)
	p := r.Errors[0]
	assert.Equal(t, admission.CodeOverlap, p.Code)
	assert.Equal(t, admission.SeverityError, p.Severity)
	assert.InDelta(t, geo.Area(rectangle(106.56, 29.55, 106.562, 29.57)), p.AreaM2, 0.01)
	assert.Empty(t, r.Warnings)
	assert.Equal(t, "校验测试", r.Dataset.Name)

	var raw map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &raw))
	assert.ElementsMatch(t, []string{"dataset", "errors", "warnings", "stats"}, keys(raw))
	stats := raw["stats"].(map[string]any)
	units := stats["partitions"].([]any)[1].(map[string]any)
	assert.Equal(t, "control_units", units["layer"])
	assert.Equal(t, float64(1), units["candidate_pairs"])

	// Flags after the folder work too; a larger tolerance hides the strip.
	code, out, _ = runValidate(dir, "--format", "json", "--sliver-m2", "1000000")
	assert.Equal(t, exitOK, code, out)
	require.NoError(t, json.Unmarshal([]byte(out), &r))
	assert.Empty(t, r.Errors)
	assert.Equal(t, 1e6, r.Stats.SliverM2)
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestValidateCommandWarningsExitZero(t *testing.T) {
	dir := writeValidateDataset(t, 106.558)
	code, out, errOut := runValidate(dir)
	assert.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	for _, want := range []string{
		"结论：通过，0 个错误，1 个警告（警告不妨碍导入和加载，请逐条核实）",
		"空隙 1 处",
		"警告（1）：",
		"1. 环境管控单元（control_units）［partition_gap］",
		"区县 500103（渝中区）内有 429,676 平方米不属于任何单元（空隙）",
		"相关 500103",
	} {
		assert.Contains(t, out, want)
	}
}

func TestValidateCommandSample(t *testing.T) {
	code, out, errOut := runValidate("--sample")
	assert.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
	assert.Contains(t, out, "结论：通过，0 个错误，0 个警告")
	assert.Contains(t, out, "环境管控单元（control_units）：核查 785 个要素")
	assert.Contains(t, out, "［合成数据］")
	t.Log("\n" + out)
}

func TestValidateCommandUsage(t *testing.T) {
	dir := writeValidateDataset(t, 106.56)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no folder", nil, exitUsage, "请给出数据集目录"},
		{"folder and sample", []string{dir, "--sample"}, exitUsage, "不要同时给出"},
		{"two folders", []string{dir, dir}, exitUsage, "只能校验一个数据集目录"},
		{"bad format", []string{dir, "--format", "xml"}, exitUsage, "--format 应为 text 或 json"},
		{"zero sliver", []string{dir, "--sliver-m2", "0"}, exitUsage, "--sliver-m2"},
		{"bad sliver", []string{dir, "--sliver-m2", "abc"}, exitUsage, "不是正数"},
		{"unknown flag", []string{dir, "--nope"}, exitUsage, "参数错误"},
		{"missing folder", []string{filepath.Join(t.TempDir(), "nope")}, exitFail, "无法读取数据集"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runValidate(tc.args...)
			assert.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out, errOut)
			assert.Contains(t, errOut, tc.want)
			assert.Empty(t, out)
		})
	}
	code, out, _ := runValidate("--help")
	assert.Equal(t, exitOK, code)
	assert.Contains(t, out, "用法：sanxian validate 数据集目录")

	code, out, _ = runValidate(dir)
	assert.Equal(t, exitOK, code, "an exact partition passes: %s", out)
	assert.Contains(t, out, "结论：通过，0 个错误，0 个警告")
}
