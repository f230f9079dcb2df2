package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/data"
)

const importUsage = `用法：sanxian import --out 目录 [参数] 输入…

把主管部门提供的文件导入为数据集目录（dataset.json、各图层 GeoJSON 和准入条款），
先完整校验，有错误时不写出任何文件。输入可以是：
  zip 压缩的 shapefile（一个压缩包可含多个 .shp，各为一个图层）、.shp（同目录下的
  .dbf、.prj、.cpg 一并读取）、GeoPackage（.gpkg，每个要素表为一个图层）、
  GeoJSON（FeatureCollection）、KML 或 KMZ，
  以及 PostGIS 数据库中的表（--source，坐标系取自 SRID）。
各输入属于哪个图层（区县、环境管控单元、生态保护红线、自然保护地、饮用水水源保护区、河流）
按字段名识别（HJZHGKDYBM、ZHGKDYFL、STHJYSGKFQBM 等及其中文名），识别不了时请写映射文件。

参数：
  --out 目录          输出的数据集目录（必填）；已存在且不为空时需加 --force
  --mapping 文件      映射文件（.yaml、.yml 或 .json）：各输入对应的图层与字段
  --print-mapping     不导入，按识别结果输出映射文件模板（YAML）
  --name 名称         数据集名称（必填，也可写在映射文件中）
  --version 版本      版本号（必填，也可写在映射文件中）
  --published 日期    发布日期 YYYY-MM-DD
  --authority 说明    数据来源：发布机关、文号（写入 dataset.json 的 source）
  --source 数据库     从 PostGIS 读取图层表，可多次给出：
                      'postgres://用户:密码@主机:端口/库'：库中（除 PostGIS 自带模式外）
                        所有含一个几何列的表，能识别为图层的导入，其余列出后跳过；
                      加 ?schema=模式[,模式] 只看这些模式；
                      加 ?table=模式.表[,模式.表] 只读这些表（须能识别或在映射文件中写明），
                        一个表有多个几何列时再加 &geom=列名
  --notice 说明       提示语，随每个核查结果返回
  --crs 坐标系        没有 .prj 的输入所用坐标系，如 EPSG:4545（CGCS2000 3度带 CM 108°E）；
                      不覆盖可识别的 .prj（要覆盖请在映射文件中为该输入写 crs）
  --access-list 文件  准入清单（.xlsx 或 .csv）；它有条款的单元不再取属性表中的条款
  --sliver-m2 面积    分区校验的碎片容差（平方米），默认 1
  --format 格式       text（中文报告，默认）或 json
  --force             替换已存在的输出目录

退出码：0 已写出；1 输入无法读取或校验有错误（未写出任何文件）；2 参数错误。
`

type importConfig struct {
	Out          string
	MappingFile  string
	PrintMapping bool
	Info         admission.Info
	CRS          string
	AccessList   string
	SliverM2     float64
	Format       string
	Force        bool
	Inputs       []string
	// Sources are PostGIS databases (--source; positional postgres://
	// inputs too).
	Sources []string
}

func parseImport(args []string) (importConfig, error) {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c importConfig
	var sliver string
	fs.StringVar(&c.Out, "out", "", "")
	fs.StringVar(&c.MappingFile, "mapping", "", "")
	fs.BoolVar(&c.PrintMapping, "print-mapping", false, "")
	fs.StringVar(&c.Info.Name, "name", "", "")
	fs.StringVar(&c.Info.Version, "version", "", "")
	fs.StringVar(&c.Info.Published, "published", "", "")
	fs.StringVar(&c.Info.Source, "authority", "", "")
	fs.Func("source", "", func(v string) error { c.Sources = append(c.Sources, v); return nil })
	fs.StringVar(&c.Info.Notice, "notice", "", "")
	fs.StringVar(&c.CRS, "crs", "", "")
	fs.StringVar(&c.AccessList, "access-list", "", "")
	fs.StringVar(&sliver, "sliver-m2", strconv.FormatFloat(admission.DefaultSliverM2, 'g', -1, 64), "")
	fs.StringVar(&c.Format, "format", "text", "")
	fs.BoolVar(&c.Force, "force", false, "")
	// Inputs may come before, between or after the flags.
	for {
		if err := fs.Parse(args); err != nil {
			return c, err
		}
		if fs.NArg() == 0 {
			break
		}
		if in := fs.Arg(0); isPostGIS(in) {
			c.Sources = append(c.Sources, in)
		} else {
			c.Inputs = append(c.Inputs, in)
		}
		args = fs.Args()[1:]
	}
	for _, v := range c.Sources {
		if !isPostGIS(v) {
			return c, fmt.Errorf("--source 应为 PostGIS 数据库地址 postgres://…，收到 %q；数据来源（发布机关、文号）请用 --authority", v)
		}
	}
	switch {
	case len(c.Inputs) == 0 && len(c.Sources) == 0:
		return c, errors.New("请给出要导入的文件（zip、.shp、.gpkg、GeoJSON、KML 或 KMZ）或用 --source 给出 PostGIS 数据库")
	case c.Out == "" && !c.PrintMapping:
		return c, errors.New("请用 --out 给出输出的数据集目录")
	case c.Format != "text" && c.Format != "json":
		return c, fmt.Errorf("--format 应为 text 或 json，收到 %q", c.Format)
	}
	if c.Info.Published != "" {
		if _, err := time.Parse("2006-01-02", c.Info.Published); err != nil {
			return c, fmt.Errorf("--published：%q 不是 YYYY-MM-DD 格式的日期", c.Info.Published)
		}
	}
	if c.CRS != "" {
		if _, err := crs.Parse(c.CRS); err != nil {
			return c, fmt.Errorf("--crs：%v", strings.TrimPrefix(err.Error(), "crs: "))
		}
	}
	v, err := strconv.ParseFloat(sliver, 64)
	if err != nil || !(v > 0) || math.IsInf(v, 0) {
		return c, fmt.Errorf("--sliver-m2：%q 不是正数（平方米），如 1 或 0.01", sliver)
	}
	c.SliverM2 = v
	return c, nil
}

// importReport is the --format json output.
type importReport struct {
	// Status is "written", "invalid" (validation errors: nothing written)
	// or "unreadable" (an input could not be read or understood).
	Status   string               `json:"status"`
	Out      string               `json:"out,omitempty"`
	Checksum string               `json:"checksum,omitempty"`
	Info     *admission.Info      `json:"info,omitempty"`
	Sources  []data.ImportSource  `json:"sources"`
	Layers   []importLayerSummary `json:"layers"`
	Clauses  int                  `json:"clauses"`
	Notes    []data.ImportWarning `json:"notes"`
	Report   *admission.Report    `json:"validation,omitempty"`
	Error    *importErrorJSON     `json:"error,omitempty"`
	Timings  map[string]float64   `json:"timings_s"`
}

type importLayerSummary struct {
	ID       string         `json:"id"`
	Title    string         `json:"title"`
	Role     admission.Role `json:"role"`
	Kind     admission.Kind `json:"kind"`
	Features int            `json:"features"`
}

type importErrorJSON struct {
	Code     string   `json:"code"`
	File     string   `json:"file,omitempty"`
	Message  string   `json:"message"`
	Fields   []string `json:"fields,omitempty"`
	Template string   `json:"mapping_template,omitempty"`
}

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseImport(args)
	if err != nil {
		return usageError(err, importUsage, stdout, stderr)
	}
	var mapping *data.Mapping
	if cfg.MappingFile != "" {
		raw, err := os.ReadFile(cfg.MappingFile)
		if err != nil {
			fmt.Fprintf(stderr, "无法读取映射文件：%v\n", err)
			return exitUsage
		}
		if mapping, err = data.ParseMapping(cfg.MappingFile, raw); err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			return exitUsage
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	files := cfg.Inputs
	var (
		tables []data.ImportTable
		notes  []data.ImportWarning
	)
	for _, src := range cfg.Sources {
		t, n, err := readPostGISSource(ctx, src, mapping, cfg.PrintMapping)
		if err != nil {
			return importFailed(cfg, err, stdout, stderr)
		}
		tables, notes = append(tables, t...), append(notes, n...)
	}
	if cfg.PrintMapping {
		tpl, err := data.ImportTemplate(ctx, files, mapping, tables...)
		if err != nil {
			return importFailed(cfg, err, stdout, stderr)
		}
		for _, n := range notes {
			fmt.Fprintf(stderr, "提示：%s\n", n)
		}
		fmt.Fprint(stdout, tpl)
		return exitOK
	}
	info := cfg.Info
	if mapping != nil {
		fill := func(dst *string, v string) {
			if *dst == "" {
				*dst = v
			}
		}
		fill(&info.Name, mapping.Dataset.Name)
		fill(&info.Version, mapping.Dataset.Version)
		fill(&info.Published, mapping.Dataset.Published)
	}
	switch {
	case strings.TrimSpace(info.Name) == "" || strings.TrimSpace(info.Version) == "":
		return usageError(errors.New("请用 --name 和 --version 给出数据集名称和版本号（或写在映射文件的 dataset 中）"), importUsage, stdout, stderr)
	case info.Published != "" && !importDate(info.Published):
		return usageError(fmt.Errorf("映射文件中的 published %q 不是 YYYY-MM-DD 格式的日期", info.Published), importUsage, stdout, stderr)
	}
	if err := data.CheckImportOut(cfg.Out, cfg.Force); err != nil {
		fmt.Fprintf(stderr, "输出目录不可用：%v\n", err)
		return exitUsage
	}
	t0 := time.Now()
	im, err := data.ReadImport(ctx, files, data.ImportOptions{Mapping: mapping, CRS: cfg.CRS, Info: cfg.Info, AccessList: cfg.AccessList, Tables: tables})
	if err != nil {
		return importFailed(cfg, err, stdout, stderr)
	}
	im.Warnings = append(notes, im.Warnings...)
	t1 := time.Now()
	rep, sum, err := im.Save(cfg.Out, cfg.Force, admission.ValidateOptions{SliverM2: cfg.SliverM2})
	t2 := time.Now()
	timings := map[string]float64{"read": t1.Sub(t0).Seconds(), "validate_write": t2.Sub(t1).Seconds()}
	rep.Dataset.Checksum = sum
	status := "written"
	switch {
	case err != nil:
		fmt.Fprintf(stderr, "写出数据集失败：%v\n", err)
		return exitFail
	case !rep.OK():
		status = "invalid"
	}
	if cfg.Format == "json" {
		out := importReport{Status: status, Info: &im.Contents.Info, Sources: im.Sources, Clauses: len(im.Contents.Rules.Clauses),
			Notes: im.Warnings, Report: &rep, Timings: timings}
		if out.Notes == nil {
			out.Notes = []data.ImportWarning{}
		}
		if status == "written" {
			out.Out, out.Checksum = cfg.Out, sum
			out.Info.Checksum = sum
		}
		for _, l := range im.Contents.Layers {
			out.Layers = append(out.Layers, importLayerSummary{ID: l.ID, Title: l.Title, Role: l.Role, Kind: l.Kind, Features: len(l.Features)})
		}
		if err := writeImportJSON(stdout, out); err != nil {
			fmt.Fprintf(stderr, "输出 JSON 失败：%v\n", err)
			return exitFail
		}
	} else {
		writeImportText(stdout, im, rep, t1.Sub(t0), t2.Sub(t1))
		if status == "written" {
			fmt.Fprintf(stdout, "\n已写出数据集 %s（%s）。\n", cfg.Out, sum)
		} else {
			fmt.Fprintf(stderr, "数据集校验有 %d 个错误：未写出任何文件（%s 保持原样）。错误明细见上方报告。\n", len(rep.Errors), cfg.Out)
		}
	}
	if status != "written" {
		return exitFail
	}
	return exitOK
}

func importDate(s string) bool {
	_, err := time.Parse("2006-01-02", s)
	return err == nil
}

func writeImportJSON(w io.Writer, v any) error {
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

// importFailed reports an input that could not be read: the message, and
// for an unrecognised layer or a missing column the mapping template.
func importFailed(cfg importConfig, err error, stdout, stderr io.Writer) int {
	var ie *data.ImportError
	if !errors.As(err, &ie) {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintln(stderr, "导入已取消，未写出任何文件。")
			return exitFail
		}
		ie = &data.ImportError{Code: data.CodeImportRead, Message: err.Error()}
	}
	if cfg.Format == "json" {
		out := importReport{Status: "unreadable", Sources: []data.ImportSource{}, Notes: []data.ImportWarning{}, Timings: map[string]float64{},
			Error: &importErrorJSON{Code: ie.Code, File: ie.File, Message: ie.Message, Fields: ie.Fields, Template: ie.Template}}
		if err := writeImportJSON(stdout, out); err != nil {
			fmt.Fprintf(stderr, "输出 JSON 失败：%v\n", err)
		}
		return exitFail
	}
	fmt.Fprintf(stderr, "无法导入：%s\n", ie.Error())
	if ie.Template != "" {
		fmt.Fprintf(stderr, "\n映射文件模板（保存为 mapping.yaml，填写后用 --mapping mapping.yaml 再次导入）：\n\n%s", ie.Template)
	}
	return exitFail
}

// writeImportText prints what was read, the notes of the import and the
// validation report.
func writeImportText(w io.Writer, im *data.Import, rep admission.Report, read, validate time.Duration) {
	fmt.Fprintf(w, "读取（%.1f 秒）：\n", read.Seconds())
	for _, s := range im.Sources {
		if s.Layer == data.LayerSkip {
			fmt.Fprintf(w, "  %s：按映射文件跳过\n", s.Name)
			continue
		}
		fmt.Fprintf(w, "  %s → %s（%s）：%s 个要素，%s 个顶点", s.Name, s.Layer, s.Detected, groupDigits(float64(s.Features), 0), groupDigits(float64(s.Vertices), 0))
		if s.Encoding != "" {
			fmt.Fprintf(w, "；属性编码 %s", s.Encoding)
		}
		fmt.Fprintf(w, "；坐标系 %s，来自 %s\n", s.CRSTitle, s.CRSFrom)
		var cols []string
		for _, role := range []string{"id", "name", "category"} {
			if c, ok := s.Columns[role]; ok {
				cols = append(cols, role+"="+c)
			}
		}
		for _, d := range admission.Dimensions {
			if c, ok := s.Columns[d]; ok {
				cols = append(cols, d+"="+c)
			}
		}
		if len(cols) > 0 {
			fmt.Fprintf(w, "    字段：%s\n", strings.Join(cols, "，"))
		}
	}
	var layers []string
	for _, l := range im.Contents.Layers {
		layers = append(layers, fmt.Sprintf("%s %s 个", l.ID, groupDigits(float64(len(l.Features)), 0)))
	}
	fmt.Fprintf(w, "图层：%s；准入条款 %s 条\n", strings.Join(layers, "，"), groupDigits(float64(len(im.Contents.Rules.Clauses)), 0))
	if len(im.Warnings) > 0 {
		fmt.Fprintf(w, "\n导入提示（%d）：\n", len(im.Warnings))
		for i, n := range im.Warnings {
			fmt.Fprintf(w, "  %d. %s\n", i+1, n)
		}
	}
	fmt.Fprintln(w)
	writeReport(w, rep, im.Contents.Layers, validate)
}
