package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/sanxian/sanxian/admission"
)

// ValidateProject validates the project fields of a check against the
// dataset's classification (admission.Dataset.ValidateProject): an unknown
// or ill-formed industry code is 422 unknown_industry with the closest
// codes; a construction type or an activity outside the lists is 400
// invalid_parameter naming the allowed values. The industry comes back
// normalised ("c2614" → "C2614").
func ValidateProject(d *admission.Dataset, p admission.Project) (admission.Project, error) {
	p, err := d.ValidateProject(p)
	var pe *admission.ProjectError
	if !errors.As(err, &pe) {
		return p, err
	}
	if pe.Field == "industry" {
		return p, newError(CodeUnknownIndustry, pe.Message, map[string]any{"industry": pe.Value, "closest": pe.Closest})
	}
	return p, newError(CodeInvalidParameter, pe.Message, map[string]any{"parameter": pe.Field, "allowed": pe.Allowed})
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// industries answers GET /api/v1/industries?q=&limit= for autocomplete:
// codes starting with q, or names containing it.
func (s *Server) industries(c *gin.Context) {
	d, ok := s.current(c)
	if !ok {
		return
	}
	limit := 20
	if v, ok := c.GetQuery("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			s.fail(c, newError(CodeInvalidParameter, fmt.Sprintf("limit 应为 1 到 200 的整数，收到 %q。", v), map[string]any{"parameter": "limit"}))
			return
		}
		limit = n
	}
	q := strings.TrimSpace(c.Query("q"))
	if q == "" {
		s.fail(c, newError(CodeInvalidParameter, "缺少查询参数 q：行业代码前缀（如 C26）或名称中的字词（如 化学）。", map[string]any{"parameter": "q"}))
		return
	}
	res := d.Industries().Search(q, limit)
	if res == nil {
		res = []admission.Industry{}
	}
	c.JSON(http.StatusOK, gin.H{"query": q, "industries": res})
}

// rules answers GET /api/v1/rules: the access-list clauses of a unit
// (?unit=), a district (?district=), the city-wide and element-zone ones
// (?level=city) or all of them.
func (s *Server) rules(c *gin.Context) {
	d, ok := s.current(c)
	if !ok {
		return
	}
	unit, district, level := c.Query("unit"), c.Query("district"), c.Query("level")
	n := 0
	for _, v := range []string{unit, district, level} {
		if v != "" {
			n++
		}
	}
	if n > 1 {
		s.fail(c, newError(CodeInvalidParameter, "unit、district、level 只能给出其一。", nil))
		return
	}
	if level != "" && level != admission.LevelCity {
		s.fail(c, newError(CodeInvalidParameter, "level 只接受 city（全市总体及要素分区条款）。", map[string]any{"parameter": "level"}))
		return
	}
	if unit != "" {
		if _, _, ok := d.Feature(admission.LayerControlUnits, unit); !ok {
			s.fail(c, newError(CodeFeatureNotFound, fmt.Sprintf("没有编码为 %s 的环境管控单元。", unit), map[string]any{"unit": unit}))
			return
		}
	}
	if district != "" {
		if _, _, ok := d.Feature(admission.LayerDistricts, district); !ok {
			s.fail(c, newError(CodeFeatureNotFound, fmt.Sprintf("没有代码为 %s 的区县。", district), map[string]any{"district": district}))
			return
		}
	}
	out := []admission.Clause{}
	for _, cl := range d.Rules().Clauses {
		switch {
		case unit != "" && !(cl.Level == admission.LevelUnit && cl.Scope.Unit == unit):
		case district != "" && !(cl.Level == admission.LevelDistrict && cl.Scope.County == district):
		case level != "" && cl.Level != admission.LevelCity && cl.Level != admission.LevelZone:
		default:
			out = append(out, cl)
		}
	}
	c.JSON(http.StatusOK, gin.H{"dataset": d.Ref(), "clauses": out})
}
