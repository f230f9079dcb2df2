package crs

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/paulmach/orb"
)

// Error codes of PointError, stable for programs. The first two are the
// codes geo.ValidateSite uses for the same problems.
const (
	CodeNotFinite  = "coordinate_not_finite"
	CodeOutOfRange = "coordinate_out_of_range"
	CodeOutOfZone  = "coordinate_out_of_zone"
	CodeNoInverse  = "coordinate_no_inverse"
	CodeInvalidCRS = "invalid_crs"
)

// PointError reports a position that cannot be converted.
type PointError struct {
	// Code is one of the Code… constants.
	Code string
	// CRS is the name of the coordinate system converted from or to.
	CRS string
	// Path locates the position in a geometry, as geo.GeometryError does:
	// "point[0]", "line.point[3]", "polygon[0].ring[1].point[5]", with
	// "geometry[i]." in front inside a Collection. Empty for a lone point.
	Path string
	// Where is Path in Chinese for people ("第 1 个多边形第 2 个环第 6 个点");
	// empty for a lone point.
	Where string
	// Point is the position as given.
	Point orb.Point
	// Message says in Chinese what is wrong and, where it can tell, what
	// to do about it (another EPSG code, x and y swapped …).
	Message string
}

func (e *PointError) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("crs: %s at %s（%s）：%s", e.Code, e.Path, e.Where, e.Message)
	}
	return fmt.Sprintf("crs: %s：%s", e.Code, e.Message)
}

// ErrGeometryType is returned by Geometry for an orb.Bound, which a
// projection does not map to a bound.
var ErrGeometryType = errors.New("crs: 不支持转换的几何类型（orb.Bound）")

func pointErr(c CRS, code string, p orb.Point, format string, args ...any) *PointError {
	return &PointError{Code: code, CRS: c.Name, Point: p, Message: fmt.Sprintf(format, args...)}
}

// num formats a coordinate as given, shortest exact form.
func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func finite(p orb.Point) bool {
	return !math.IsNaN(p[0]) && !math.IsNaN(p[1]) && !math.IsInf(p[0], 0) && !math.IsInf(p[1], 0)
}

// lonLatErr checks a longitude/latitude position.
func lonLatErr(c CRS, p orb.Point) *PointError {
	if !finite(p) {
		return pointErr(c, CodeNotFinite, p, "坐标 (%s, %s) 不是有限数值", num(p[0]), num(p[1]))
	}
	if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
		return pointErr(c, CodeOutOfRange, p, "坐标 (%s, %s) 超出经纬度范围（经度 -180～180，纬度 -90～90）；%s 坐标应为经度在前、纬度在后", num(p[0]), num(p[1]), c.Name)
	}
	return nil
}

// ToCGCS2000 converts p from c to CGCS2000 longitude and latitude
// (EPSG:4490). p and the result are always {x, y} with x the easting or
// longitude and y the northing or latitude, whatever the EPSG axis order.
//
// CGCS2000 and WGS84 return p unchanged. A Gauss-Krüger point must lie
// within one zone width of the central meridian (±3° for a 3° zone, ±6°
// for a 6° zone); GCJ-02 and BD-09 points must be within the longitude
// and latitude ranges. A position that is not finite or outside those
// bounds returns a *PointError, never NaN; so does the zero CRS.
func (c CRS) ToCGCS2000(p orb.Point) (orb.Point, error) {
	switch c.Kind {
	case KindGeographic:
		if err := lonLatErr(c, p); err != nil {
			return orb.Point{}, err
		}
		return p, nil
	case KindGaussKruger:
		return c.gkInverse(p)
	case KindGCJ02:
		if err := lonLatErr(c, p); err != nil {
			return orb.Point{}, err
		}
		lon, lat, ok := gcjToWGS(p[0], p[1])
		if !ok {
			return orb.Point{}, pointErr(c, CodeNoInverse, p, "GCJ-02 坐标 (%s, %s) 位于 GCJ-02 偏移范围的边缘，无法反算", num(p[0]), num(p[1]))
		}
		return orb.Point{lon, lat}, nil
	case KindBD09:
		if err := lonLatErr(c, p); err != nil {
			return orb.Point{}, err
		}
		glon, glat, ok := bdToGCJ(p[0], p[1])
		if ok {
			var lon, lat float64
			if lon, lat, ok = gcjToWGS(glon, glat); ok && math.Abs(lat) <= 90 {
				return orb.Point{normLon(lon), lat}, nil
			}
		}
		return orb.Point{}, pointErr(c, CodeNoInverse, p, "BD-09 坐标 (%s, %s) 无法反算（位于偏移范围的边缘或两极）", num(p[0]), num(p[1]))
	}
	return orb.Point{}, invalidCRS(c, p)
}

// FromCGCS2000 converts p from CGCS2000 longitude and latitude
// (EPSG:4490) to c, with the same axis convention and bounds as
// ToCGCS2000: p must be finite and within the longitude and latitude
// ranges, and for a Gauss-Krüger projection within one zone width of the
// central meridian; otherwise a *PointError is returned.
func (c CRS) FromCGCS2000(p orb.Point) (orb.Point, error) {
	if c.Kind == "" {
		return orb.Point{}, invalidCRS(c, p)
	}
	if err := lonLatErr(CGCS2000, p); err != nil {
		err.CRS = c.Name
		return orb.Point{}, err
	}
	switch c.Kind {
	case KindGeographic:
		return p, nil
	case KindGaussKruger:
		return c.gkForward(p)
	case KindGCJ02:
		lon, lat := wgsToGCJ(p[0], p[1])
		return orb.Point{lon, lat}, nil
	case KindBD09:
		glon, glat := wgsToGCJ(p[0], p[1])
		lon, lat := gcjToBD(glon, glat)
		return orb.Point{normLon(lon), lat}, nil
	}
	return orb.Point{}, invalidCRS(c, p)
}

func invalidCRS(c CRS, p orb.Point) *PointError {
	if c.Kind == "" {
		return pointErr(c, CodeInvalidCRS, p, "未指定坐标系")
	}
	return pointErr(c, CodeInvalidCRS, p, "坐标系 %q 的定义无效（类型 %q）", c.Name, c.Kind)
}

// normLon brings a longitude into [-180, 180].
func normLon(lon float64) float64 {
	if lon < -180 || lon > 180 {
		lon = math.Remainder(lon, 360)
	}
	return lon
}

// Geometry returns a converted deep copy of g, in CGCS2000 longitude and
// latitude: Point, MultiPoint, LineString, MultiLineString, Ring, Polygon,
// MultiPolygon and Collection, each position converted with ToCGCS2000,
// structure (nil and empty parts included) preserved, so closed rings stay
// closed.
//
// CGCS2000 and WGS84 (EPSG:4326, centimetres from CGCS2000 in China)
// return g itself, unchanged and not copied, after checking that every
// position is finite and within the longitude and latitude ranges. A nil
// g returns nil. The first position that cannot be converted returns a
// *PointError whose Path and Where name the vertex; an orb.Bound returns
// ErrGeometryType.
func (c CRS) Geometry(g orb.Geometry) (orb.Geometry, error) {
	if g == nil {
		return nil, nil
	}
	conv := c.ToCGCS2000
	if c.Kind == KindGeographic {
		conv = func(p orb.Point) (orb.Point, error) {
			if err := lonLatErr(c, p); err != nil {
				return orb.Point{}, err
			}
			return p, nil
		}
		if _, err := mapGeometry(g, conv, false); err != nil {
			return nil, err
		}
		return g, nil
	}
	return mapGeometry(g, conv, true)
}

// at adds a position to the PointError of a conversion.
func at(err error, path, where string) error {
	var pe *PointError
	if errors.As(err, &pe) {
		pe.Path, pe.Where = path, where
	}
	return err
}

// mapPoints converts pts into a new slice (nil stays nil), or only checks
// them when !copy.
func mapPoints(pts []orb.Point, conv func(orb.Point) (orb.Point, error), copy bool, path, where string) ([]orb.Point, error) {
	var out []orb.Point
	if copy && pts != nil {
		out = make([]orb.Point, len(pts))
	}
	for i, p := range pts {
		q, err := conv(p)
		if err != nil {
			return nil, at(err, fmt.Sprintf("%spoint[%d]", path, i), fmt.Sprintf("%s第 %d 个点", where, i+1))
		}
		if copy {
			out[i] = q
		}
	}
	return out, nil
}

func mapPolygon(p orb.Polygon, conv func(orb.Point) (orb.Point, error), copy bool, path, where string) (orb.Polygon, error) {
	var out orb.Polygon
	if copy && p != nil {
		out = make(orb.Polygon, len(p))
	}
	for i, r := range p {
		q, err := mapPoints(r, conv, copy, fmt.Sprintf("%s.ring[%d].", path, i), fmt.Sprintf("%s第 %d 个环", where, i+1))
		if err != nil {
			return nil, err
		}
		if copy {
			out[i] = q
		}
	}
	return out, nil
}

// mapGeometry converts (copy) or checks (!copy) every position of g. The
// paths follow geo.ValidateSite: "point[i]", "line.point[i]",
// "line[i].point[j]", "polygon[i].ring[j].point[k]".
func mapGeometry(g orb.Geometry, conv func(orb.Point) (orb.Point, error), copy bool) (orb.Geometry, error) {
	switch g := g.(type) {
	case orb.Point:
		q, err := mapPoints([]orb.Point{g}, conv, true, "", "")
		if err != nil {
			return nil, err
		}
		return q[0], nil
	case orb.MultiPoint:
		q, err := mapPoints(g, conv, copy, "", "")
		return orb.MultiPoint(q), err
	case orb.LineString:
		q, err := mapPoints(g, conv, copy, "line.", "线的")
		return orb.LineString(q), err
	case orb.Ring:
		q, err := mapPoints(g, conv, copy, "ring.", "环的")
		return orb.Ring(q), err
	case orb.MultiLineString:
		var out orb.MultiLineString
		if copy && g != nil {
			out = make(orb.MultiLineString, len(g))
		}
		for i, l := range g {
			q, err := mapPoints(l, conv, copy, fmt.Sprintf("line[%d].", i), fmt.Sprintf("第 %d 条线", i+1))
			if err != nil {
				return nil, err
			}
			if copy {
				out[i] = q
			}
		}
		return out, nil
	case orb.Polygon:
		return mapPolygon(g, conv, copy, "polygon[0]", "多边形")
	case orb.MultiPolygon:
		var out orb.MultiPolygon
		if copy && g != nil {
			out = make(orb.MultiPolygon, len(g))
		}
		for i, p := range g {
			q, err := mapPolygon(p, conv, copy, fmt.Sprintf("polygon[%d]", i), fmt.Sprintf("第 %d 个多边形", i+1))
			if err != nil {
				return nil, err
			}
			if copy {
				out[i] = q
			}
		}
		return out, nil
	case orb.Collection:
		var out orb.Collection
		if copy && g != nil {
			out = make(orb.Collection, len(g))
		}
		for i, x := range g {
			if x == nil {
				continue
			}
			q, err := mapGeometry(x, conv, copy)
			if err != nil {
				var pe *PointError
				if errors.As(err, &pe) {
					pe.Path = fmt.Sprintf("geometry[%d].%s", i, pe.Path)
					pe.Where = fmt.Sprintf("第 %d 个几何%s", i+1, pe.Where)
				}
				return nil, err
			}
			if copy {
				out[i] = q
			}
		}
		return out, nil
	}
	return nil, ErrGeometryType
}
