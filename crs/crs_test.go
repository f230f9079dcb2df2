package crs

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want string // canonical name
	}{
		{"", "EPSG:4490"},
		{"   ", "EPSG:4490"},
		{"EPSG:4490", "EPSG:4490"},
		{"epsg:4490", "EPSG:4490"},
		{"4490", "EPSG:4490"},
		{" EPSG 4490 ", "EPSG:4490"},
		{"EPSG4490", "EPSG:4490"},
		{"EPSG::4490", "EPSG:4490"},
		{"ＥＰＳＧ：４４９０", "EPSG:4490"}, // full-width, as typed with a Chinese IME
		{"urn:ogc:def:crs:EPSG::4490", "EPSG:4490"},
		{"http://www.opengis.net/def/crs/EPSG/0/4490", "EPSG:4490"},
		{"CGCS2000", "EPSG:4490"},
		{"cgcs2000", "EPSG:4490"},
		{"CGCS 2000", "EPSG:4490"},
		{"2000国家大地坐标系", "EPSG:4490"},
		{"国家2000", "EPSG:4490"},
		{"GCS_China_Geodetic_Coordinate_System_2000", "EPSG:4490"},
		{"EPSG:4326", "EPSG:4326"},
		{"4326", "EPSG:4326"},
		{"WGS84", "EPSG:4326"},
		{"wgs84", "EPSG:4326"},
		{"WGS 84", "EPSG:4326"},
		{"WGS-84", "EPSG:4326"},
		{"WGS_1984", "EPSG:4326"},
		{"CRS84", "EPSG:4326"},
		{"urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326"},
		{"GCJ02", "GCJ02"},
		{"GCJ-02", "GCJ02"},
		{"gcj02", "GCJ02"},
		{"gcj_02", "GCJ02"},
		{"火星坐标系", "GCJ02"},
		{"BD09", "BD09"},
		{"BD-09", "BD09"},
		{"bd09", "BD09"},
		{"bd09ll", "BD09"},
		{"EPSG:4545", "EPSG:4545"},
		{"epsg:4545", "EPSG:4545"},
		{"4545", "EPSG:4545"},
		{"EPSG:4491", "EPSG:4491"},
		{"EPSG:4554", "EPSG:4554"},
		{"CGCS2000_3_Degree_GK_CM_108E", "EPSG:4545"},
		{"CGCS2000_3_Degree_GK_Zone_36", "EPSG:4524"},
		{"CGCS2000 / 3-degree Gauss-Kruger CM 108E", "EPSG:4545"},
		{"CGCS2000 / 3-degree Gauss-Kruger zone 36", "EPSG:4524"},
		{"CGCS2000_GK_CM_105E", "EPSG:4507"},
		{"CGCS2000 / Gauss-Kruger zone 18", "EPSG:4496"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Name)
			again, err := Parse(got.Name)
			require.NoError(t, err)
			assert.Equal(t, got, again, "Parse(Name) returns the CRS")
		})
	}
}

func TestParseFields(t *testing.T) {
	c, err := Parse("EPSG:4545")
	require.NoError(t, err)
	assert.Equal(t, CRS{
		Name: "EPSG:4545", EPSG: 4545, Kind: KindGaussKruger,
		Title:           "CGCS2000 / 3度带高斯-克吕格投影 CM 108°E（EPSG:4545）",
		CentralMeridian: 108, ZoneWidth: 3, Zone: 36, FalseEasting: 500000,
	}, c)
	c, err = Parse("EPSG:4524")
	require.NoError(t, err)
	assert.Equal(t, CRS{
		Name: "EPSG:4524", EPSG: 4524, Kind: KindGaussKruger,
		Title:           "CGCS2000 / 3度带高斯-克吕格投影 第 36 带 CM 108°E（EPSG:4524）",
		CentralMeridian: 108, ZoneWidth: 3, Zone: 36, ZoneInEasting: true, FalseEasting: 36500000,
	}, c)
	c, err = Parse("EPSG:4493")
	require.NoError(t, err)
	assert.Equal(t, 87.0, c.CentralMeridian)
	assert.Equal(t, 15500000.0, c.FalseEasting)
	assert.Equal(t, 6, c.ZoneWidth)
	assert.Equal(t, "GCJ-02（高德、腾讯地图）", GCJ02.Title)
	assert.Equal(t, "BD-09（百度地图）", BD09.Title)
	assert.Equal(t, 0, GCJ02.EPSG)
	assert.Equal(t, "EPSG:4545", c4545().String())
}

func c4545() CRS { c, _ := byEPSG(4545); return c }

func TestParseUnknown(t *testing.T) {
	tests := []struct {
		in    string
		known string // part of UnknownError.Known, "" for none
	}{
		{"EPSG:3857", "Web 墨卡托"},
		{"EPSG:2383", "西安 80"},
		{"EPSG:2381", "西安 80"},
		{"EPSG:2435", "北京 54"},
		{"EPSG:4214", "北京 54"},
		{"EPSG:32648", "UTM"},
		{"EPSG:4480", "地心或三维"},
		{"EPSG:4555", "新北京"},
		{"EPSG:9999", ""},
		{"EPSG:0", ""},
		{"EPSG:99999999999999999999", ""},
		{"4489", ""},
		{"Xian_1980_3_Degree_GK_CM_108E", "西安 80"},
		{"Beijing 1954", "北京 54"},
		{"WGS 84 / Pseudo-Mercator", "墨卡托"},
		{"GCJ03", ""},
		{"BD09MC", ""},
		{"CGCS2000_GK_CM_108E", ""}, // 108°E is no 6° zone's central meridian
		{"CGCS2000_3_Degree_GK_Zone_46", ""},
		{"高德", ""},
		{"EPSG:", ""},
		{"EPSG:4545x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			var ue *UnknownError
			require.ErrorAs(t, err, &ue)
			assert.Equal(t, tt.in, ue.Name)
			assert.Equal(t, Accepted(), ue.Accepted)
			if tt.known == "" {
				assert.Empty(t, ue.Known)
			} else {
				assert.Contains(t, ue.Known, tt.known)
			}
			msg := err.Error()
			assert.True(t, strings.HasPrefix(msg, "crs: 不支持的坐标系"), msg)
			for _, a := range Accepted() {
				assert.Contains(t, msg, a)
			}
		})
	}
	t.Run("long names are clipped", func(t *testing.T) {
		_, err := Parse(strings.Repeat("坐", 1000))
		require.Error(t, err)
		assert.Less(t, len(err.Error()), 1500)
	})
}

func TestAccepted(t *testing.T) {
	a := Accepted()
	require.Len(t, a, 8)
	assert.Equal(t, "EPSG:4490（CGCS2000 经纬度，默认；也可写 CGCS2000 或留空）", a[0])
	assert.Contains(t, a[2], "EPSG:4534–4554")
	assert.Contains(t, a[3], "EPSG:4513–4533")
	assert.Contains(t, a[4], "EPSG:4502–4512")
	assert.Contains(t, a[5], "EPSG:4491–4501")
	a[0] = "changed"
	assert.NotEqual(t, "changed", Accepted()[0], "a new slice each call")
}

func TestAll(t *testing.T) {
	all := All()
	require.Len(t, all, 2+64+2)
	seen := map[string]bool{}
	for _, c := range all {
		assert.False(t, seen[c.Name], "%s twice", c.Name)
		seen[c.Name] = true
		got, err := Parse(c.Name)
		require.NoError(t, err)
		assert.Equal(t, c, got)
		assert.NotEmpty(t, c.Title)
		if c.Kind == KindGaussKruger {
			assert.Equal(t, c, mustGK(t, c.ZoneWidth, c.Zone, c.ZoneInEasting))
		}
	}
}

func mustGK(t *testing.T, width, zone int, inEasting bool) CRS {
	t.Helper()
	c, ok := byEPSG(gkCode(width, zone, inEasting))
	require.True(t, ok)
	return c
}

func TestUnknownErrorIsTyped(t *testing.T) {
	_, err := Parse("EPSG:3857")
	var ue *UnknownError
	assert.True(t, errors.As(err, &ue))
	assert.Contains(t, err.Error(), "EPSG:3857 是 Web 墨卡托投影（米），请先转换为 CGCS2000")
}
