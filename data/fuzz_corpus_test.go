package data

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"unicode/utf16"

	shp "github.com/jonas-p/go-shp"
	"github.com/paulmach/orb"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/internal/fuzzkit"
)

// TestFuzzCorpus writes the generated seed corpora of the data fuzz
// targets under testdata/fuzz/ when run with -update-fuzz-corpus
// (go test ./data -run TestFuzzCorpus -update-fuzz-corpus); otherwise it
// skips. The seeds are realistic inputs built by the tests' own writers
// (shapefiles with GBK attributes, the downloadable list template,
// workbooks from excelize) and known-nasty variants of them; they run as
// ordinary tests with every go test, beside the f.Add seeds in the
// targets.
func TestFuzzCorpus(t *testing.T) {
	if !fuzzkit.Updating() {
		t.Skip("run with -update-fuzz-corpus to rewrite testdata/fuzz/")
	}
	gk := orb.Ring{{354000, 3272000}, {354000, 3273000}, {355000, 3273000}, {355000, 3272000}, {354000, 3272000}}

	// Site shapefiles: GBK name with a .cpg, UTF-8, a Gauss-Krüger zone
	// .prj, projected metres without a .prj, an unsupported datum.
	s := fuzzkit.New(t, "FuzzParseSiteShapefile")
	add := func(name string, ring orb.Ring, prj, cpg string, which uint8) {
		a, b, c, d := siteShapefileParts(t, ring, prj, cpg)
		s.Add(name, a, b, c, d, which)
	}
	add("gbk-cgcs2000-cpg936", siteSquare, prjCGCS2000, "936", 0)
	add("no-cpg-wgs84", siteSquare, "", "", 4)
	add("gauss-kruger-4545-prj", gk, prjGK108, "UTF-8", 0)
	add("metres-without-prj", gk, "", "", 1)
	add("beijing54-prj", siteSquare, prjBeijing, "", 0)
	add("xian80-prj", gk, prjXian80, "GBK", 0)
	s.Write()

	s = fuzzkit.New(t, "FuzzParseSiteFile")
	for _, name := range []string{"site.kml", "multi.kml", "site.geojson", "site.csv", "site.kmz", "site_gbk.zip", "bad.kml"} {
		s.Add(name, name, readFixture(t, name), uint8(0))
	}
	gbkCSV, err := os.ReadFile("testdata/site.csv")
	require.NoError(t, err)
	s.Add("site-csv-gbk", "坐标.txt", listGBK(t, string(gbkCSV)), uint8(0))
	s.Add("kml-gb2312", "site.kml", listGBK(t, `<?xml version="1.0" encoding="GB2312"?><kml><Placemark><name>地块</name><Point><coordinates>106.55,29.56</coordinates></Point></Placemark></kml>`), uint8(0))
	s.Add("geojson-feature-collection-gk", "site.geojson", []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"名称":"地块"},"geometry":{"type":"Polygon","coordinates":[[[354000,3272000],[355000,3272000],[355000,3273000],[354000,3272000]]]}}]}`), uint8(1))
	s.Write()

	s = fuzzkit.New(t, "FuzzParseCoordinateText")
	for name, text := range map[string]string{
		"dms-symbols":         `106°33'12.5"E 29°33'36"N`,
		"dms-chinese":         "106度33分12.5秒 29度33分36秒",
		"dms-north-first":     "北纬29度33分 东经106度33分",
		"dms-primes":          "E106°33′12.5″, N29°33′36″",
		"dms-list":            "J1 106°33'12.5\"E 29°33'36\"N\nJ2 106°33'20\"E 29°33'36\"N\nJ3 106°33'20\"E 29°33'45\"N",
		"numbered-polygon":    "点号,经度,纬度\nJ1,106.55,29.55\nJ2,106.56,29.55\nJ3,106.56,29.56\nJ1,106.55,29.55",
		"pairs-on-one-line":   "106.55,29.80 106.56,29.80 106.56,29.81 106.55,29.80",
		"fullwidth":           "１０６．５５，２９．５６",
		"seconds-60":          `106°33'60"E 29°33'36"N`,
		"both-latitude":       "N29°33′ N29°34′",
		"semicolons-altitude": "106.55,29.56,300;106.56,29.56,300；106.56,29.57,300",
	} {
		s.Add(name, text, "auto", uint8(0))
	}
	s.Add("survey-xy-header", "点号,X,Y\nJ1,3272278.86,354627.80\nJ2,3272278.86,355627.80\nJ3,3273278.86,355627.80", "polygon", uint8(1))
	s.Add("zone-prefixed-easting", "东坐标 北坐标\n36354627.80 3272278.86", "point", uint8(2))
	s.Add("gcj02-line", "106.55,29.80\n106.56,29.80", "line", uint8(3))
	s.Write()

	// Import: shapefiles of every layer kind, GBK with and without a
	// .cpg, a Gauss-Krüger .prj, a point shapefile.
	s = fuzzkit.New(t, "FuzzReadImportShapefile")
	for name, fx := range map[string]shpFixture{
		"units-gbk-cpg936":     unitsFixture(true, prjCGCS2000, "936"),
		"units-utf8":           unitsFixture(false, prjCGCS2000, "UTF-8"),
		"districts-gk108":      {typ: shp.POLYGON, prj: prjGK108, fields: []shpField{{"XZQDM", 'N', 6}, {"XZQMC", 'C', 40}}, rows: [][]any{{500101, "万州区"}}, parts: [][][]orb.Point{{rect(354000, 3266000, 365000, 3276000, true)}}},
		"rivers-gbk-no-cpg":    riversFixture(),
		"districts-xian80-prj": districtFixture(false, prjXian80, ""),
	} {
		a, b, c, d := shapefileFiles(t, fx)
		s.Add(name, a, b, c, d)
	}
	s.Write()

	s = fuzzkit.New(t, "FuzzImportShapefile")
	for name, fx := range map[string]shpFixture{"units-gbk": unitsFixture(true, "", ""), "rivers-polyline": riversFixture()} {
		a, b, _, _ := shapefileFiles(t, fx)
		s.Add(name, a, b)
	}
	s.Write()
	// A regression input, not generated: see TestDBFZeroLengthFields.
	regress := fuzzkit.New(t, "FuzzImportShapefile")
	regress.Add("zero-length-fields", []byte(nil), zeroFieldDBF(200, 2000))
	regress.WriteAs("regress-")

	s = fuzzkit.New(t, "FuzzReadImportDoc")
	s.Add("redline-geojson", uint8(0), []byte(redlineGeoJSON))
	s.Add("water-kml", uint8(1), []byte(waterKML))
	s.Add("water-kmz", uint8(2), zipOf(t, map[string][]byte{"doc.kml": []byte(waterKML)}))
	s.Add("districts-geojson-crs-4545", uint8(3), []byte(`{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::4545"}},"features":[
 {"type":"Feature","properties":{"XZQDM":500101,"XZQMC":"万州区"},"geometry":{"type":"Polygon","coordinates":[[[355000,3266000,0],[365000,3266000,0],[365000,3276000,0],[355000,3276000,0],[355000,3266000,0]]]}}]}`))
	s.Write()

	// Lists: the template users download, and workbooks of every layout.
	s = fuzzkit.New(t, "FuzzProjectListXLSX")
	var tpl bytes.Buffer
	require.NoError(t, WriteTemplate(&tpl, "xlsx"))
	p := xlsxParts(t, tpl.Bytes())
	s.Add("download-template", p[xlsxSheetPart], p[xlsxSharedPart], p[xlsxStylesPart])
	for i, sd := range listXLSXSeeds(t) {
		s.Add([]string{"points-dms", "wkt-and-survey-text", "xy-zones", "number-formats"}[i], sd[0], sd[1], sd[2])
	}
	s.Write()

	s = fuzzkit.New(t, "FuzzProjectListCSV")
	tpl.Reset()
	require.NoError(t, WriteTemplate(&tpl, "csv"))
	s.Add("download-template", tpl.Bytes())
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(tpl.Bytes())
	require.NoError(t, err)
	s.Add("download-template-gb18030", gb)
	s.Write()

	s = fuzzkit.New(t, "FuzzReadAccessListXLSX")
	for name, content := range map[string][]byte{
		"unit-wide": accessXLSX(t, accessSheet{name: "单元", rows: [][]any{
			{"重庆市环境管控单元生态环境准入清单"},
			{"环境管控单元编码", "环境管控单元名称", "管控单元类别", "空间布局约束", "污染物排放管控", "环境风险防控", "资源开发效率要求"},
			{"ZH50010320001", "渝中区重点管控单元", "重点管控单元", "1-1 禁止新建造纸项目。\n1-2 限制新建化工项目。", "执行全市总体管控要求。", "无", ""},
		}}),
		"district-long-merged": accessXLSX(t, accessSheet{name: "区县", rows: [][]any{
			{"区县代码", "区县名称", "管控维度", "条款编号", "条款内容"},
			{"500103", "渝中区", "空间布局约束", "1", "①禁止甲。②限制乙。"},
			{nil, nil, "污染物排放管控", "2", "执行标准。"},
		}, merges: []string{"A2:A3", "B2:B3"}}),
		"city": accessXLSX(t, accessSheet{name: "全市总体", rows: [][]any{
			{"空间布局约束", "污染物排放管控", "环境风险防控", "资源利用效率"},
			{"1.禁止在长江干支流岸线一公里范围内新建化工项目。2.限制新建造纸项目。", "执行国家和地方标准。", "加强风险防控。", "提高用水效率。"},
		}}),
	} {
		p := xlsxParts(t, content)
		s.Add(name, p[xlsxSheetPart], p[xlsxSharedPart], p[xlsxStylesPart])
	}
	s.Write()

	s = fuzzkit.New(t, "FuzzReadAccessListCSV")
	s.Add("unit-csv-gbk", listGBK(t, accessUnitCSV))
	s.Add("city-csv-utf16", append([]byte{0xff, 0xfe}, utf16LE(accessCityCSV)...))
	s.Write()

	// Dataset folders and mapping files.
	s = fuzzkit.New(t, "FuzzReadDataset")
	m, l, r := datasetSeed(t)
	s.Add("one-unit-with-rules", m, l, r)
	sampleManifest, err := os.ReadFile("sample/chongqing/dataset.json")
	require.NoError(t, err)
	s.Add("sample-manifest", sampleManifest, l, r)
	s.Write()

	s = fuzzkit.New(t, "FuzzParseMapping")
	mapping, err := os.ReadFile("testdata/import/mapping.yaml")
	require.NoError(t, err)
	s.Add("documented-example", "mapping.yaml", mapping)
	s.Add("generated-template", "mapping.yaml", []byte(MappingTemplate([]TemplateLayer{
		{Name: "units.zip/单元.shp", Fields: []string{"HJZHGKDYBM", "HJZHGKDYMC", "ZHGKDYFL", "KJBJYS"}, Kind: admission.KindPolygon, Count: 4,
			Detection: Detection{Layer: admission.LayerControlUnits, Reason: "字段「HJZHGKDYBM」"}},
		{Name: "a: b.shp", Fields: []string{"HLMC"}, Kind: admission.KindLine, Count: 1}})))
	js, err := json.Marshal(Mapping{Dataset: MappingDataset{CRS: "EPSG:4545"}, Files: []FileMapping{{File: "*.shp", Layer: "control_units",
		Clauses: map[string]Columns{"空间布局约束": {"KJBJ1", "KJBJ2"}}, Categories: map[string]string{"1": admission.CategoryPriority}}}})
	require.NoError(t, err)
	s.Add("json", "mapping.json", js)
	s.Write()

	s = fuzzkit.New(t, "FuzzSplitClauses")
	for _, r := range unitRows() {
		for j, v := range r[4:] {
			if text, ok := v.(string); ok && text != "" {
				s.Add(fmt.Sprintf("unit-%s-%d", r[0], j), text)
			}
		}
	}
	s.Add("circled-and-chinese-numerals", "一、空间布局约束\n①禁止新建、扩建化工项目；②限制造纸项目。\n二、污染物排放管控\n（1）执行国家标准；（2）加强监测。")
	s.Add("fullwidth-numbering", "１－１．禁止新建化工项目。\r\n１－２　限制新建造纸项目。")
	s.Write()

	s = fuzzkit.New(t, "FuzzProjectListRow")
	s.Add("dms-cells-wgs84", `106°33'06"E`, `29°33'47"N`, "", "", "", "500", "WGS84", uint8(0))
	s.Add("survey-xy-zone-prefix", "", "", "3272278.86", "36354627.80", "", "1公里", "", uint8(2))
	s.Add("wkt-cell-gk", "", "", "", "", "SRID=4545;POLYGON((354000 3272000,355000 3272000,355000 3273000,354000 3272000))", "", "", uint8(0))
	s.Add("numbered-vertex-list", "", "", "", "", "J1,107.0,29.8\nJ2,107.001,29.8\nJ3,107.001,29.801\nJ1,107.0,29.8", "0", "EPSG:4490", uint8(3))
	s.Write()

	s = fuzzkit.New(t, "FuzzCoordinateTextRoundTrip")
	s.Add("chongqing-triangle-dms", 106.5516, 29.563, 106.5617, 29.563, 106.5617, 29.5731, uint8(2), uint8(1))
	s.Add("extent-corners-north-first", 73.4997, 18.1604, 135.0873, 53.5608, 0.0, 0.0, uint8(1), uint8(3))
	s.Add("negative-and-huge", -106.55, -29.56, 1e300, -1e-300, 0.0, 0.0, uint8(2), uint8(0))
	s.Write()
}

// utf16LE encodes s as UTF-16 little-endian.
func utf16LE(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b
}
