package crs

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// .prj texts as ArcGIS writes them (PROJ 9.1: projinfo -o WKT1_ESRI), as
// QGIS and GDAL write them (-o WKT1_GDAL), and WKT2 (-o WKT2_2019).
const (
	gcsCGCS2000 = `GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	gcsWGS84    = `GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`
	esri4545    = `PROJCS["CGCS2000_3_Degree_GK_CM_108E",` + gcsCGCS2000 + `,PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",108.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	esri4524    = `PROJCS["CGCS2000_3_Degree_GK_Zone_36",` + gcsCGCS2000 + `,PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",36500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",108.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	esri4507    = `PROJCS["CGCS2000_GK_CM_105E",` + gcsCGCS2000 + `,PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	esri4493    = `PROJCS["CGCS2000_GK_Zone_15",` + gcsCGCS2000 + `,PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",15500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",87.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	gdal4496    = `PROJCS["CGCS2000 / Gauss-Kruger zone 18",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",105],PARAMETER["scale_factor",1],PARAMETER["false_easting",18500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4496"]]`
	wkt2_4545   = `PROJCRS["CGCS2000 / 3-degree Gauss-Kruger CM 108E",BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],ID["EPSG",4490]],CONVERSION["3-degree Gauss-Kruger CM 108E",METHOD["Transverse Mercator",ID["EPSG",9807]],PARAMETER["Latitude of natural origin",0,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8801]],PARAMETER["Longitude of natural origin",108,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8802]],PARAMETER["Scale factor at natural origin",1,SCALEUNIT["unity",1],ID["EPSG",8805]],PARAMETER["False easting",500000,LENGTHUNIT["metre",1],ID["EPSG",8806]],PARAMETER["False northing",0,LENGTHUNIT["metre",1],ID["EPSG",8807]]],CS[Cartesian,2],AXIS["northing (X)",north,ORDER[1],LENGTHUNIT["metre",1]],AXIS["easting (Y)",east,ORDER[2],LENGTHUNIT["metre",1]],USAGE[SCOPE["Cadastre, engineering survey, topographic mapping (large scale)."],AREA["China - onshore between 106°30'E and 109°30'E."],BBOX[18.19,106.5,42.47,109.51]],ID["EPSG",4545]]`
	wkt2_4490   = `GEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],CS[ellipsoidal,2],AXIS["geodetic latitude (Lat)",north,ORDER[1],ANGLEUNIT["degree",0.0174532925199433]],AXIS["geodetic longitude (Lon)",east,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]],USAGE[SCOPE["Horizontal component of 3D system."],AREA["China - onshore and offshore."],BBOX[16.7,73.62,53.56,134.77]],ID["EPSG",4490]]`
	esriXian80  = `PROJCS["Xian_1980_3_Degree_GK_CM_108E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",108.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	esriBJ54    = `PROJCS["Beijing_1954_3_Degree_GK_CM_108E",GEOGCS["GCS_Beijing_1954",DATUM["D_Beijing_1954",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",108.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	esriUTM48   = `PROJCS["WGS_1984_UTM_Zone_48N",` + gcsWGS84 + `,PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`
	esriWebMerc = `PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",` + gcsWGS84 + `,PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]`
)

// gkPRJ is an ESRI PROJCS on CGCS2000 with the given name and parameters.
func gkPRJ(name, cm, fe, extra string) string {
	return `PROJCS["` + name + `",` + gcsCGCS2000 + `,PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",` + fe +
		`],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",` + cm + `],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]` + extra + `]`
}

func TestFromPRJ(t *testing.T) {
	tests := []struct {
		name string
		prj  string
		want string
	}{
		{"ArcGIS CGCS2000 geographic", gcsCGCS2000, "EPSG:4490"},
		{"China_2000 names", `GEOGCS["China_2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`, "EPSG:4490"},
		{"CGCS2000 name with a GRS80 spheroid", `GEOGCS["CGCS2000",DATUM["D_2000",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`, "EPSG:4490"},
		{"GDAL CGCS2000 by authority", `GEOGCS["unnamed",DATUM["unknown",SPHEROID["GRS 1980",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4490"]]`, "EPSG:4490"},
		{"WKT2 CGCS2000", wkt2_4490, "EPSG:4490"},
		{"ArcGIS WGS84", gcsWGS84, "EPSG:4326"},
		{"3° GK CM 108E", esri4545, "EPSG:4545"},
		{"3° GK zone 36", esri4524, "EPSG:4524"},
		{"6° GK CM 105E (official name without 3_Degree)", esri4507, "EPSG:4507"},
		{"6° GK zone 15", esri4493, "EPSG:4493"},
		{"GDAL 6° zone 18 with authority", gdal4496, "EPSG:4496"},
		{"WKT2 3° CM 108E", wkt2_4545, "EPSG:4545"},
		{"pretty-printed with CRLF and a BOM", "\ufeff" + strings.ReplaceAll(strings.ReplaceAll(esri4545, ",PARAMETER", ",\r\n    PARAMETER"), "],", "], "), "EPSG:4545"},
		{"parentheses instead of brackets", strings.NewReplacer("[", "(", "]", ")").Replace(esri4545), "EPSG:4545"},
		{"lower-case keywords", strings.NewReplacer("PROJCS", "projcs", "PARAMETER", "parameter").Replace(esri4545), "EPSG:4545"},
		{"parameters only, CM 105E: 3° assumed", gkPRJ("Custom_TM", "105.0", "500000.0", ""), "EPSG:4544"},
		{"parameters only, CM 111E: 3° assumed", gkPRJ("Gauss Kruger", "111", "500000", ""), "EPSG:4546"},
		{"parameters, 6° by authority", gkPRJ("x", "105.0", "500000.0", `,AUTHORITY["EPSG","4507"]`), "EPSG:4507"},
		{"parameters, 6° by name", gkPRJ("CGCS2000 / Gauss-Kruger CM 105E", "105.0", "500000.0", ""), "EPSG:4507"},
		{"parameters, CM 108E only a 3° zone", gkPRJ("CGCS2000_GK_CM_108E", "108", "500000", ""), "EPSG:4545"},
		{"parameters with zone 35", gkPRJ("x", "105", "35500000", ""), "EPSG:4523"},
		{"parameters with zone 18 (6°)", gkPRJ("x", "105", "18500000", ""), "EPSG:4496"},
		{"name only", `PROJCS["CGCS2000_3_Degree_GK_CM_108E",` + gcsCGCS2000 + `,UNIT["Meter",1.0]]`, "EPSG:4545"},
		{"zone name only", `PROJCS["CGCS2000_3_Degree_GK_Zone_36",` + gcsCGCS2000 + `]`, "EPSG:4524"},
		{"authority only", `PROJCS["unnamed",` + gcsCGCS2000 + `,AUTHORITY["EPSG","4545"]]`, "EPSG:4545"},
		{"compound with a height", `COMPD_CS["CGCS2000 + height",` + esri4545 + `,VERT_CS["Yellow Sea 1985 height",VERT_DATUM["Yellow Sea 1985",2005],UNIT["metre",1],AXIS["Up",UP]]]`, "EPSG:4545"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromPRJ(tt.prj)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Name)
		})
	}
}

func TestFromPRJUnsupported(t *testing.T) {
	tests := []struct {
		name   string
		prj    string
		found  string
		system string // part of System
		reason string // part of Reason
	}{
		{"Xian 1980 3° GK CM 108E", esriXian80, "Xian_1980_3_Degree_GK_CM_108E", "西安 80 坐标系的高斯-克吕格投影", "CGCS2000"},
		{"Beijing 1954 3° GK CM 108E", esriBJ54, "Beijing_1954_3_Degree_GK_CM_108E", "北京 54", "CGCS2000"},
		{"Xian 1980 geographic", `GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`, "GCS_Xian_1980", "西安 80 坐标系经纬度", "CGCS2000 或 WGS84"},
		{"New Beijing", `GEOGCS["GCS_New_Beijing",DATUM["D_New_Beijing",SPHEROID["Krasovsky_1940",6378245.0,298.3]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`, "GCS_New_Beijing", "新北京 54", ""},
		{"unknown datum", `GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]`, "GCS_ETRS_1989", "非 CGCS2000、WGS84 基准的经纬度", ""},
		{"UTM 48N", esriUTM48, "WGS_1984_UTM_Zone_48N", "WGS84 的 UTM 投影", "UTM"},
		{"Web Mercator", esriWebMerc, "WGS_1984_Web_Mercator_Auxiliary_Sphere", "WGS84 的 Web 墨卡托投影", ""},
		{"CGCS2000 Albers", `PROJCS["CGCS2000_Albers",` + gcsCGCS2000 + `,PROJECTION["Albers"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",105.0],PARAMETER["Standard_Parallel_1",25.0],PARAMETER["Standard_Parallel_2",47.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]`, "CGCS2000_Albers", "阿尔伯斯", "高斯-克吕格"},
		{"local central meridian 106.5°E", gkPRJ("CGCS2000_Local_106.5", "106.5", "500000", ""), "CGCS2000_Local_106.5", "CGCS2000", "任意中央经线"},
		{"zone and central meridian disagree", gkPRJ("x", "105", "36500000", ""), "x", "CGCS2000", "带号 36 与中央经线 105°"},
		{"false easting 400000", gkPRJ("x", "108", "400000", ""), "x", "", "东向偏移 400000"},
		{"scale 0.9996", strings.Replace(esri4545, `"Scale_Factor",1.0`, `"Scale_Factor",0.9996`, 1), "CGCS2000_3_Degree_GK_CM_108E", "", "比例因子是 0.9996"},
		{"false northing", strings.Replace(esri4545, `"False_Northing",0.0`, `"False_Northing",-3000000`, 1), "CGCS2000_3_Degree_GK_CM_108E", "", "北向偏移"},
		{"feet", strings.Replace(esri4545, `UNIT["Meter",1.0]`, `UNIT["Foot_US",0.3048006096012192]`, 1), "CGCS2000_3_Degree_GK_CM_108E", "", "不是米"},
		{"parameters contradict the authority", gkPRJ("x", "111", "500000", `,AUTHORITY["EPSG","4545"]`), "x", "", "EPSG 代码 4545 不一致"},
		{"parameters incomplete", `PROJCS["x",` + gcsCGCS2000 + `,PROJECTION["Gauss_Kruger"],PARAMETER["Central_Meridian",108.0],UNIT["Meter",1.0]]`, "x", "", "参数不全"},
		{"no parameters nor a known name", `PROJCS["x",` + gcsCGCS2000 + `,PROJECTION["Gauss_Kruger"]]`, "x", "", "没有投影参数"},
		{"grads", strings.Replace(gcsCGCS2000, `UNIT["Degree",0.0174532925199433]`, `UNIT["Grad",0.01570796326794897]`, 1), "GCS_China_Geodetic_Coordinate_System_2000", "", "角度单位"},
		{"Paris meridian", strings.Replace(gcsCGCS2000, `PRIMEM["Greenwich",0.0]`, `PRIMEM["Paris",2.33722917]`, 1), "GCS_China_Geodetic_Coordinate_System_2000", "", "本初子午线"},
		{"geocentric", `GEOCCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101]],PRIMEM["Greenwich",0],UNIT["metre",1]]`, "China Geodetic Coordinate System 2000", "地心", ""},
		{"garbage", "hello world", "", "", "不是 WKT"},
		{"empty", "", "", "", "不是 WKT"},
		{"unclosed", `PROJCS["CGCS2000_3_Degree_GK_CM_108E",GEOGCS[`, "", "", "不是 WKT"},
		{"trailing text", gcsCGCS2000 + " extra", "", "", "多余内容"},
		{"unterminated string", `GEOGCS["GCS_China`, "", "", "引号未闭合"},
		{"bad number", `GEOGCS["x",PRIMEM["Greenwich",1.2.3]]`, "", "", "数值"},
		{"a name, not WKT", "EPSG:4545", "", "", "不是 WKT"},
		{"deep nesting", strings.Repeat("A[", 100) + strings.Repeat("]", 100), "", "", "嵌套过深"},
		{"unknown top node", `VERT_CS["Yellow Sea 1985 height",VERT_DATUM["Yellow Sea 1985",2005]]`, "Yellow Sea 1985 height", "", "不是可识别的坐标系类型"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromPRJ(tt.prj)
			var ue *UnsupportedPRJError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, tt.found, ue.Found)
			assert.Contains(t, ue.System, tt.system)
			assert.Contains(t, ue.Reason, tt.reason)
			msg := err.Error()
			assert.Contains(t, msg, "请先在 GIS 软件中将数据转换为 CGCS2000")
			if tt.found != "" {
				assert.Contains(t, msg, tt.found)
			}
		})
	}
	t.Run("too long", func(t *testing.T) {
		_, err := FromPRJ(strings.Repeat(" ", maxPRJ) + gcsCGCS2000)
		var ue *UnsupportedPRJError
		require.ErrorAs(t, err, &ue)
		assert.Contains(t, ue.Reason, "过长")
	})
}

// TestFromPRJMessage shows a whole message as a user sees it.
func TestFromPRJMessage(t *testing.T) {
	_, err := FromPRJ(esriXian80)
	require.Error(t, err)
	assert.Equal(t, "crs: .prj 中的坐标系是「Xian_1980_3_Degree_GK_CM_108E」（西安 80 坐标系的高斯-克吕格投影）："+
		"sanxian 只接受 CGCS2000 或 WGS84 经纬度，以及 CGCS2000 高斯-克吕格投影；"+
		"请先在 GIS 软件中将数据转换为 CGCS2000（EPSG:4490 经纬度或 CGCS2000 高斯-克吕格投影）后再上传", err.Error())
}
