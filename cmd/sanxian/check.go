package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/web"
)

const checkUsage = `用法：sanxian check (--wkt 'WKT' | --geojson 文件) [参数]

核查一个场址，结果与 HTTP 接口 POST /api/v1/check 相同。参数：
  --wkt 文本          场址 WKT，如 'POINT(106.55 29.56)'（经度在前，CGCS2000）
  --geojson 文件      场址 GeoJSON 文件：几何对象，或只含一个要素的 Feature / FeatureCollection
  --crs 坐标系        场址坐标所用的坐标系：EPSG:4490（默认，CGCS2000 经纬度）、EPSG:4326、
                      CGCS2000 高斯-克吕格投影 EPSG:4491–4554（x 为东坐标、y 为北坐标，米）、
                      GCJ02（高德、腾讯地图拾取的坐标）、BD09（百度地图）
  --buffer 米         同时报告该距离内的要素，默认 0，最大 50000
  --layers a,b        只核查这些图层（逗号分隔）
  --industry 代码     项目行业代码（GB/T 4754-2017，如 C2614）：给出准入结论
  --construction 性质 建设性质：新建、改建、扩建、迁建、技术改造
  --activity 活动     生态保护红线内允许的有限人为活动（如 linear_infrastructure）
  --format 格式       table（中文表格，默认）或 json（与接口相同的 JSON）
  --data 目录         数据集目录（SANXIAN_DATA；默认为内置样例）
  --max-vertices 数   场址几何顶点上限，默认 100000（SANXIAN_MAX_VERTICES）
  --sliver-m2 面积    碎片容差（平方米），默认 1（SANXIAN_SLIVER_M2）
  --sliver-ratio 比例 碎片容差占场址面积的比例，默认 0.0001（SANXIAN_SLIVER_RATIO）

退出码：0 成功；1 数据集无法加载或核查失败；2 参数或场址无效。
`

type checkConfig struct {
	WKT, GeoJSONFile string
	BufferM          float64
	Layers           []string
	Format           string
	DataDir          string
	MaxVertices      int
	Tolerance        geo.Tolerance
	Industry         string
	Construction     string
	Activity         string
	CRS              string
}

func parseCheck(args []string) (checkConfig, error) {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c checkConfig
	var layers, maxVertices, sliverM2, sliverRatio string
	toleranceFlags(fs, &sliverM2, &sliverRatio)
	fs.StringVar(&c.WKT, "wkt", "", "")
	fs.StringVar(&c.GeoJSONFile, "geojson", "", "")
	fs.Float64Var(&c.BufferM, "buffer", 0, "")
	fs.StringVar(&layers, "layers", "", "")
	fs.StringVar(&c.Format, "format", "table", "")
	fs.StringVar(&c.Industry, "industry", "", "")
	fs.StringVar(&c.Construction, "construction", "", "")
	fs.StringVar(&c.Activity, "activity", "", "")
	fs.StringVar(&c.CRS, "crs", "", "")
	fs.StringVar(&c.DataDir, "data", envOr("SANXIAN_DATA", ""), "")
	fs.StringVar(&maxVertices, "max-vertices", envOr("SANXIAN_MAX_VERTICES", strconv.Itoa(web.DefaultMaxVertices)), "")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("多余的参数 %q（WKT 含空格时请加引号）", fs.Args())
	case (c.WKT == "") == (c.GeoJSONFile == ""):
		return c, errors.New("请给出 --wkt 或 --geojson 之一")
	case c.Format != "table" && c.Format != "json":
		return c, fmt.Errorf("--format 应为 table 或 json，收到 %q", c.Format)
	}
	n, err := strconv.Atoi(maxVertices)
	if err != nil || n <= 0 {
		return c, fmt.Errorf("--max-vertices：%q 不是正整数", maxVertices)
	}
	c.MaxVertices = n
	if c.Tolerance, err = parseTolerance(sliverM2, sliverRatio); err != nil {
		return c, err
	}
	if layers != "" {
		for _, l := range strings.Split(layers, ",") {
			c.Layers = append(c.Layers, strings.TrimSpace(l))
		}
	}
	return c, nil
}

// checkBody builds the same JSON body the API takes, so that the command
// line parses and validates input exactly as the service does.
func (c checkConfig) checkBody() ([]byte, error) {
	body := map[string]any{"buffer_m": c.BufferM}
	for k, v := range map[string]string{"industry": c.Industry, "construction": c.Construction, "activity": c.Activity, "crs": c.CRS} {
		if v != "" {
			body[k] = v
		}
	}
	if c.Layers != nil {
		body["layers"] = c.Layers
	}
	if c.WKT != "" {
		body["wkt"] = c.WKT
	} else {
		raw, err := os.ReadFile(c.GeoJSONFile)
		if err != nil {
			return nil, fmt.Errorf("读取 GeoJSON 文件：%w", err)
		}
		g, err := unwrapGeoJSON(raw)
		if err != nil {
			return nil, err
		}
		body["geometry"] = g
	}
	return json.Marshal(body)
}

// unwrapGeoJSON takes the geometry out of a Feature or a FeatureCollection
// with exactly one feature; anything else is passed on as is.
func unwrapGeoJSON(raw []byte) (json.RawMessage, error) {
	var probe struct {
		Type     string            `json:"type"`
		Geometry json.RawMessage   `json:"geometry"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("GeoJSON 文件不是合法的 JSON：%w", err)
	}
	switch probe.Type {
	case "Feature":
		return probe.Geometry, nil
	case "FeatureCollection":
		if len(probe.Features) != 1 {
			return nil, fmt.Errorf("GeoJSON 文件含 %d 个要素：请只保留一个（多个面可合并为 MultiPolygon）", len(probe.Features))
		}
		return unwrapGeoJSON(probe.Features[0])
	}
	return raw, nil
}

func check(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseCheck(args)
	if err != nil {
		return usageError(err, checkUsage, stdout, stderr)
	}
	body, err := cfg.checkBody()
	if err != nil {
		fmt.Fprintf(stderr, "输入无效：%v\n", err)
		return exitUsage
	}
	req, err := web.DecodeCheckBody(body, web.DefaultMaxBufferM)
	if err == nil {
		err = geo.ValidateSite(req.Geometry, geo.Limits{MaxVertices: cfg.MaxVertices})
	}
	if err != nil {
		fmt.Fprintf(stderr, "场址无效：%s\n", inputMessage(err))
		return exitUsage
	}
	d, err := loadDataset(cfg.DataDir, cfg.Tolerance)
	if err != nil {
		fmt.Fprintf(stderr, "数据集加载失败：%v\n", err)
		return exitFail
	}
	if req.Project, err = web.ValidateProject(d, req.Project); err != nil {
		fmt.Fprintf(stderr, "项目信息无效：%s\n", inputMessage(err))
		return exitUsage
	}
	res, err := d.Check(ctx, req)
	var ul *admission.UnknownLayerError
	switch {
	case errors.As(err, &ul):
		fmt.Fprintf(stderr, "数据集中没有图层 %s；可用图层：%s。\n", strings.Join(ul.Layers, "、"), strings.Join(ul.Known, "、"))
		return exitUsage
	case err != nil:
		fmt.Fprintf(stderr, "核查失败（这不表示未命中任何管控单元）：%v\n", err)
		return exitFail
	}
	if cfg.Format == "json" {
		out, err := json.Marshal(res)
		if err != nil {
			fmt.Fprintf(stderr, "输出 JSON 失败：%v\n", err)
			return exitFail
		}
		fmt.Fprintf(stdout, "%s\n", out)
		return exitOK
	}
	writeTable(stdout, res)
	return exitOK
}

// inputMessage is the Chinese message of an input error, with its place.
func inputMessage(err error) string {
	var we *web.Error
	var ge *geo.GeometryError
	switch {
	case errors.As(err, &we):
		msg := we.Message
		if p, ok := we.Details["path"]; ok {
			msg += fmt.Sprintf("（位置：%v）", p)
		} else if o, ok := we.Details["offset"]; ok {
			msg += fmt.Sprintf("（第 %v 个字符）", toInt(o)+1)
		}
		return msg + " [" + we.Code + "]"
	case errors.As(err, &ge):
		msg := ge.Message
		if ge.Path != "" {
			msg += "（位置：" + ge.Path + "）"
		}
		return msg + " [" + ge.Code + "]"
	}
	return err.Error()
}

func toInt(v any) int {
	switch x := v.(type) {
	case int:
		return x
	case int64:
		return int(x)
	case float64:
		return int(x)
	}
	return 0
}
