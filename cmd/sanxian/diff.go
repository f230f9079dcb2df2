package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
)

const diffUsage = `用法：sanxian diff 旧版本 新版本 [--format text|json] [--data 版本目录]

比较两个数据集版本：新增、删除的管控单元（及其他图层的要素）；边界调整（坐标差超过约 0.1 m
才算调整），给出调整前后的椭球面积与变化（平方米、公顷）；类别、名称的变化；准入清单条款
（按条款 id）的新增、删除与修改（原文、效力等），按全市、区县、单元分组。
参数：
  旧版本 新版本        两个数据集目录（含 dataset.json）；给出 --data 时为版本目录中的版本号
  --data 目录          版本目录（每个子目录一个版本）；不读取环境变量 SANXIAN_DATA
  --format 格式        text（默认，中文说明）或 json（与 GET /api/v1/datasets/diff 的回答相同）
有差异与无差异的退出码都是 0；无法加载时为 1，参数错误为 2。
`

// diffOutput is the JSON form, as GET /api/v1/datasets/diff answers it.
type diffOutput struct {
	FromID string `json:"from_id"`
	ToID   string `json:"to_id"`
	*admission.DatasetDiff
}

// diffCmd compares two dataset versions: folders, or version ids of a
// versions directory.
func diffCmd(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var dataDir, format string
	fs.StringVar(&dataDir, "data", "", "")
	fs.StringVar(&format, "format", "text", "")
	// Flags may come before, between or after the two versions.
	var names []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return usageError(err, diffUsage, stdout, stderr)
		}
		if fs.NArg() == 0 {
			break
		}
		names = append(names, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(names) != 2 {
		return usageError(fmt.Errorf("应给出两个版本（旧、新），收到 %d 个", len(names)), diffUsage, stdout, stderr)
	}
	if format != "text" && format != "json" {
		return usageError(fmt.Errorf("--format：应为 text 或 json，收到 %q", format), diffUsage, stdout, stderr)
	}
	var vers *data.Versions
	if dataDir != "" {
		var err error
		if vers, err = data.OpenVersions(dataDir); err != nil {
			return usageError(fmt.Errorf("--data：%s 不是版本目录（%v）", dataDir, err), diffUsage, stdout, stderr)
		}
	}
	var (
		sides [2]*admission.Dataset
		ids   [2]string
	)
	for i, name := range names {
		d, id, err := diffLoad(vers, name)
		var code int
		switch {
		case errors.Is(err, data.ErrBadVersionID), errors.Is(err, data.ErrUnknownVersion):
			fmt.Fprintf(stderr, "版本 %q 不在 %s 中：%v\n", name, dataDir, err)
			code = exitUsage
		case err != nil:
			fmt.Fprintf(stderr, "数据集加载失败：%v\n", err)
			code = exitFail
		}
		if err != nil {
			return code
		}
		sides[i], ids[i] = d, id
	}
	diff := admission.Diff(sides[0], sides[1])
	if format == "json" {
		out, err := json.MarshalIndent(diffOutput{FromID: ids[0], ToID: ids[1], DatasetDiff: diff}, "", "  ")
		if err != nil {
			fmt.Fprintf(stderr, "输出 JSON 失败：%v\n", err)
			return exitFail
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return exitOK
	}
	writeDiffText(stdout, ids[0], ids[1], diff)
	return exitOK
}

// diffLoad loads one side: version name of vers, or the folder name.
func diffLoad(vers *data.Versions, name string) (*admission.Dataset, string, error) {
	var (
		c   data.Contents
		err error
	)
	id := name
	if vers != nil {
		c, err = vers.Load(name)
	} else {
		id = filepath.Base(filepath.Clean(name))
		c, err = data.LoadDir(name)
	}
	if err != nil {
		return nil, id, fmt.Errorf("read dataset %s: %w", name, err)
	}
	d, err := c.Open(admission.Options{})
	if err != nil {
		return nil, id, fmt.Errorf("load dataset %s: %w", name, err)
	}
	return d, id, nil
}

// writeDiffText writes the diff for people: the two versions, the
// counts, then every change's Chinese summary, features grouped by layer
// and clauses by scope.
func writeDiffText(w io.Writer, fromID, toID string, d *admission.DatasetDiff) {
	ref := func(r admission.DatasetRef) string {
		s := fmt.Sprintf("%s，版本 %s，%s", r.Name, r.Version, r.Checksum)
		if r.Synthetic {
			s += "，合成数据"
		}
		return s
	}
	fmt.Fprintf(w, "数据集版本比较：%s → %s\n", fromID, toID)
	fmt.Fprintf(w, "  旧：%s\n", ref(d.From))
	fmt.Fprintf(w, "  新：%s\n", ref(d.To))
	if d.Identical() {
		fmt.Fprintln(w, "\n两个版本的图层、要素（边界、类别、名称）与准入清单条款均相同。")
		return
	}
	c := d.Counts
	fmt.Fprintf(w, "\n概况：要素新增 %d、删除 %d、边界调整 %d、类别变化 %d、名称变化 %d；条款新增 %d、删除 %d、修改 %d",
		c.FeaturesAdded, c.FeaturesRemoved, c.GeometryChanged, c.CategoryChanged, c.NameChanged, c.ClausesAdded, c.ClausesRemoved, c.ClausesChanged)
	if c.LayersAdded+c.LayersRemoved > 0 {
		fmt.Fprintf(w, "；图层新增 %d、删除 %d", c.LayersAdded, c.LayersRemoved)
	}
	fmt.Fprintln(w, "。")
	if len(d.Layers) > 0 {
		fmt.Fprintln(w, "\n图层")
		for _, l := range d.Layers {
			fmt.Fprintf(w, "  %s\n", l.Summary)
		}
	}
	layer := ""
	for _, f := range d.Features {
		if f.Layer != layer {
			layer = f.Layer
			fmt.Fprintf(w, "\n%s（%s）\n", f.LayerTitle, f.Layer)
		}
		fmt.Fprintf(w, "  %s\n", f.Summary)
	}
	if len(d.Clauses) > 0 {
		fmt.Fprintln(w, "\n准入清单条款")
		scope := ""
		for _, cl := range d.Clauses {
			if cl.ScopeName != scope {
				scope = cl.ScopeName
				fmt.Fprintf(w, "  %s\n", scope)
			}
			fmt.Fprintf(w, "    %s\n", strings.TrimSpace(cl.Summary))
		}
	}
}
