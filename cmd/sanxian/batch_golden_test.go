package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var updateBatch = flag.Bool("update-batch", false, "rewrite testdata/batch/*.golden.csv")

// goldenList covers every kind of row: each verdict, no verdict outside
// the data, and every row error the reader and the checker give. It is
// written in GBK, as Excel on Chinese Windows saves CSV.
const goldenList = `项目名称,行业代码,行业名称,建设性质,经度,纬度,坐标串,缓冲距离（米）,坐标系,备注
化工厂（十进制度）,C2614,,新建,106.569,29.553,,,,渝中区政府附近，距长江约 658 m
数据中心（度分秒）,I6450,,新建,106°34'08.4"E,29°33'10.8"N,,,CGCS2000,度分秒
按名称填写行业,,互联网数据服务,新建,106.569,29.553,,,,没有代码
地块（WKT）,C1713,,扩建,,,"POLYGON((106.50 29.60,106.52 29.60,106.52 29.62,106.50 29.62,106.50 29.60))",500,,
管线（WKT）,D4411,,新建,,,"LINESTRING(106.40 29.50,106.60 29.58)",,,选线
界址点,C3311,,新建,,,"106.55,29.80 106.56,29.80 106.56,29.81 106.55,29.81",,,空格分隔的坐标串
界址点（分号）,C3311,,新建,,,"J1,106.57,29.80;J2,106.58,29.80;J3,106.58,29.81;J4,106.57,29.81",,,界址点
缺少行业,,,新建,106.569,29.553,,,,
北京（数据范围外）,C2614,,新建,116.40,39.90,,,,
没有位置,C2614,,新建,,,,,,
坏坐标,C2614,,新建,106.5x,29.5,,,,
经纬度填反,C2614,,新建,29.553,106.569,,,,
超出范围,C2614,,新建,200,29.5,,,,
坏缓冲,C2614,,新建,106.569,29.553,,-5,,
投影坐标系,C2614,,新建,106.569,29.553,,,EPSG:4545,
未知代码,C9999,,新建,106.569,29.553,,,,
名称不唯一,,制造,新建,106.569,29.553,,,,
建设性质无效,C2614,,重建,106.569,29.553,,,,
自相交地块,C2614,,新建,,,"POLYGON((106.5 29.5,106.51 29.51,106.51 29.5,106.5 29.51,106.5 29.5))",,,蝴蝶形
`

func TestBatchGolden(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(strings.ReplaceAll(goldenList, "\n", "\r\n"))
	require.NoError(t, err)
	dir := t.TempDir()
	list := filepath.Join(dir, "清单_gbk.csv")
	require.NoError(t, os.WriteFile(list, []byte(gbk), 0o644))
	out := filepath.Join(dir, "结果.csv")
	code, stdout, stderr := runCmd(t, "batch", "--quiet", list, "-o", out)
	require.Equal(t, 0, code, "stdout %s stderr %s", stdout, stderr)
	got, err := os.ReadFile(out)
	require.NoError(t, err)

	golden := filepath.Join("testdata", "batch", "errors.golden.csv")
	if *updateBatch {
		require.NoError(t, os.WriteFile(golden, got, 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err, "run go test ./cmd/sanxian -run TestBatchGolden -update-batch")
	assert.Equal(t, string(want), string(got))

	// The answers a planner expects, whatever the golden says.
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	header, rows := readResultCSV(t, f)
	require.Len(t, rows, 19, "every row once, none lost")
	res := outcomes(header, rows)
	errCol := -1
	for i, h := range header {
		if h == "错误" {
			errCol = i
		}
	}
	expect := map[string]string{
		"2": "禁止准入", "3": "符合准入要求", "4": "符合准入要求", "9": "待补充信息", "10": "无准入结论（不在数据覆盖范围内）",
	}
	for _, line := range []string{"5", "6", "7", "8"} {
		assert.NotContains(t, []string{"无法筛查", "无准入结论（不在数据覆盖范围内）"}, res[line], "line %s: parcel, line and vertex lists are read", line)
	}
	for line, want := range expect {
		assert.Equal(t, want, res[line], "line %s", line)
	}
	for line, want := range map[string]string{
		"11": "经度", "12": "经度", "13": "填反", "14": "经度", "15": "缓冲", "16": "坐标系", "17": "行业代码",
		"18": "行业名称", "19": "建设性质", "20": "自相交",
	} {
		assert.Equal(t, "无法筛查", res[line], "line %s", line)
		assert.Contains(t, rows[line][errCol], want, "line %s", line)
		assert.Contains(t, rows[line][errCol], "第 "+line+" 行", "line %s names its line", line)
	}
}
