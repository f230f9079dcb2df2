package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/data"
)

const validateUsage = `用法：sanxian validate 数据集目录 [参数]
      sanxian validate --sample [参数]

校验数据集目录（dataset.json 与各图层、准入清单文件），报告错误与警告。
  错误（导入或加载时拒收）：几何无效（自相交、环未闭合或退化等）、编码缺失、重复或格式错误、
      类别位与单元类别不符、准入条款无效（含指向不存在的单元或区县）、分区图层的要素相互重叠
  警告：分区图层的空隙、位于区县图层之外（或部分在外）的管控单元、已撤销的区县代码、
      没有单元级条款的管控单元、面积小于碎片容差的环（多为数字化残留）
小于碎片容差的重叠、空隙只计数，不报告。管控单元的空隙以区县图层为范围（单元应铺满各区县），
没有区县图层时以单元自身合并后的外轮廓为范围（只能发现内部空洞）。

参数：
  --sample            校验内置样例数据集（代替目录）
  --format 格式       text（中文报告，默认）或 json
  --sliver-m2 面积    碎片容差（平方米，正数），默认 1

退出码：0 没有错误（可有警告）；1 有错误，或数据集无法读取；2 参数错误。
`

type validateConfig struct {
	Dir      string
	Sample   bool
	Format   string
	SliverM2 float64
}

func parseValidate(args []string) (validateConfig, error) {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c validateConfig
	var sliver string
	fs.BoolVar(&c.Sample, "sample", false, "")
	fs.StringVar(&c.Format, "format", "text", "")
	fs.StringVar(&sliver, "sliver-m2", strconv.FormatFloat(admission.DefaultSliverM2, 'g', -1, 64), "")
	// The folder may come before or after the flags.
	var dirs []string
	for {
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		if fs.NArg() == 0 {
			break
		}
		dirs = append(dirs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	switch {
	case len(dirs) > 1:
		return c, fmt.Errorf("只能校验一个数据集目录，收到 %q", dirs)
	case len(dirs) == 1 && c.Sample:
		return c, errors.New("请给出数据集目录或 --sample 之一，不要同时给出")
	case len(dirs) == 0 && !c.Sample:
		return c, errors.New("请给出数据集目录（或 --sample 校验内置样例）")
	case c.Format != "text" && c.Format != "json":
		return c, fmt.Errorf("--format 应为 text 或 json，收到 %q", c.Format)
	}
	if len(dirs) == 1 {
		c.Dir = dirs[0]
	}
	v, err := strconv.ParseFloat(sliver, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return c, fmt.Errorf("--sliver-m2：%q 不是正数（平方米），如 1 或 0.01", sliver)
	}
	c.SliverM2 = v
	return c, nil
}

func validate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseValidate(args)
	if err != nil {
		return usageError(err, validateUsage, stdout, stderr)
	}
	var c data.Contents
	name := cfg.Dir
	if cfg.Sample {
		name = "内置样例"
		c, err = data.ReadDataset(data.Sample())
	} else {
		c, err = data.LoadDir(cfg.Dir)
	}
	if err != nil {
		fmt.Fprintf(stderr, "无法读取数据集 %s：%v\n", name, err)
		return exitFail
	}
	start := time.Now()
	rep := admission.ValidateDataset(c.Info, c.Layers, c.Rules, admission.ValidateOptions{SliverM2: cfg.SliverM2})
	took := time.Since(start)
	if cfg.Format == "json" {
		out, err := json.Marshal(rep)
		if err != nil {
			fmt.Fprintf(stderr, "输出 JSON 失败：%v\n", err)
			return exitFail
		}
		fmt.Fprintf(stdout, "%s\n", out)
	} else {
		writeReport(stdout, rep, c.Layers, took)
	}
	if !rep.OK() {
		return exitFail
	}
	return exitOK
}

// writeReport prints a validation report for people: the dataset, the
// verdict and counts, what was checked, then every error and warning.
func writeReport(w io.Writer, r admission.Report, layers []admission.Layer, took time.Duration) {
	titles := map[string]string{"rules": "准入清单", "dataset.json": "清单文件"}
	for _, l := range layers {
		if l.Title != "" {
			titles[l.ID] = l.Title
		}
	}
	layerName := func(id string) string {
		if t, ok := titles[id]; ok {
			return t + "（" + id + "）"
		}
		return id
	}
	ds := r.Dataset
	fmt.Fprintf(w, "数据集：%s，版本 %s（%s）", ds.Name, ds.Version, ds.Checksum)
	if ds.Synthetic {
		fmt.Fprint(w, "［合成数据］")
	}
	fmt.Fprintln(w)
	if r.OK() {
		fmt.Fprintf(w, "结论：通过，%d 个错误，%d 个警告", len(r.Errors), len(r.Warnings))
		if len(r.Warnings) > 0 {
			fmt.Fprint(w, "（警告不妨碍导入和加载，请逐条核实）")
		}
	} else {
		fmt.Fprintf(w, "结论：未通过，%d 个错误，%d 个警告（有错误的数据集不能导入或加载）", len(r.Errors), len(r.Warnings))
	}
	fmt.Fprintln(w)
	st := r.Stats
	fmt.Fprintf(w, "范围：%d 个图层，%s 个要素，%s 个顶点，%s 条准入条款；碎片容差 %s m²；用时 %.1f 秒\n",
		st.Layers, groupDigits(float64(st.Features), 0), groupDigits(float64(st.Vertices), 0), groupDigits(float64(st.Clauses), 0),
		trimFloat(st.SliverM2), took.Seconds())
	if len(st.Partitions) > 0 {
		fmt.Fprintln(w, "分区图层：")
	}
	for _, p := range st.Partitions {
		fmt.Fprintf(w, "  %s：核查 %d 个要素", layerName(p.Layer), p.Features)
		if p.Skipped > 0 {
			fmt.Fprintf(w, "（另有 %d 个几何无效，未参与）", p.Skipped)
		}
		fmt.Fprintf(w, "，外包框相交 %d 对；重叠 %d 处", p.CandidatePairs, p.Overlaps)
		if p.Overlaps > 0 {
			fmt.Fprintf(w, "（共 %s m²）", groupDigits(p.OverlapAreaM2, 1))
		}
		fmt.Fprintf(w, "；空隙 %d 处", p.Gaps)
		if p.Gaps > 0 {
			fmt.Fprintf(w, "（共 %s m²）", groupDigits(p.GapAreaM2, 1))
		}
		if p.GapReference == admission.GapRefDistricts {
			fmt.Fprintf(w, "，以区县图层为范围；区县外 %s m²", groupDigits(p.OutsideAreaM2, 1))
		} else {
			fmt.Fprint(w, "，以图层自身外轮廓为范围")
		}
		fmt.Fprintf(w, "；忽略碎片 %d 处（共 %s m²）", p.Slivers, groupDigits(p.SliverAreaM2, 2))
		if p.Failed > 0 {
			fmt.Fprintf(w, "；%d 次叠加计算失败", p.Failed)
		}
		fmt.Fprintln(w)
	}
	for _, list := range []struct {
		title string
		ps    []admission.Problem
	}{{"错误", r.Errors}, {"警告", r.Warnings}} {
		if len(list.ps) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s（%d）：\n", list.title, len(list.ps))
		for i, p := range list.ps {
			where := layerName(p.Layer)
			if p.Feature != "" {
				where += " / " + p.Feature
			}
			fmt.Fprintf(w, "  %d. %s［%s］\n", i+1, where, p.Code)
			fmt.Fprintf(w, "     %s\n", p.Message)
			var facts []string
			if p.Location != nil {
				facts = append(facts, fmt.Sprintf("位置 %.6f, %.6f", p.Location[0], p.Location[1]))
			}
			if p.AreaM2 > 0 {
				facts = append(facts, "面积 "+groupDigits(p.AreaM2, 2)+" m²")
			}
			if p.Path != "" {
				facts = append(facts, "路径 "+p.Path)
			}
			if len(p.Related) > 0 {
				facts = append(facts, "相关 "+strings.Join(p.Related, "、"))
			}
			if len(facts) > 0 {
				fmt.Fprintf(w, "     %s\n", strings.Join(facts, "｜"))
			}
		}
	}
}
