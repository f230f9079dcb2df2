package admission

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ProjectError says why a project description was refused. Message is
// Chinese for people; Field is "industry", "construction" or "activity".
type ProjectError struct {
	Field   string
	Value   string
	Message string
	// Closest lists the nearest valid industry codes (Field "industry").
	Closest []Industry
	// Allowed lists the valid values (Fields "construction", "activity").
	Allowed []string
}

func (e *ProjectError) Error() string {
	return fmt.Sprintf("admission: invalid %s %q: %s", e.Field, e.Value, e.Message)
}

// ValidateProject checks a project's fields against the dataset's
// classification and returns it normalised (industry "c2614" → "C2614",
// surrounding spaces trimmed). An ill-formed or unknown industry code, a
// construction type outside ConstructionTypes or an activity that is not a
// key of Activities gives a *ProjectError. Empty fields are valid: a
// clause that needs them is reported as needing information.
func (d *Dataset) ValidateProject(p Project) (Project, error) {
	p.Industry = strings.TrimSpace(p.Industry)
	p.Construction = strings.TrimSpace(p.Construction)
	p.Activity = strings.TrimSpace(p.Activity)
	if p.Industry != "" {
		code, err := NormalizeIndustryCode(p.Industry)
		ind := d.Industries()
		if err == nil {
			if _, ok := ind.Lookup(code); !ok {
				err = fmt.Errorf("标准中没有代码 %s", code)
			}
		}
		if err != nil {
			var ce *IndustryCodeError
			reason := err.Error()
			if errors.As(err, &ce) {
				reason = ce.Reason
			}
			closest := ind.Closest(p.Industry, 5)
			names := make([]string, len(closest))
			for i, c := range closest {
				names[i] = c.Code + " " + c.Name
			}
			msg := fmt.Sprintf("行业代码 %q 无效：%s。", p.Industry, reason)
			if len(names) > 0 {
				msg += "相近的代码：" + strings.Join(names, "、") + "。"
			}
			return p, &ProjectError{Field: "industry", Value: p.Industry, Message: msg, Closest: closest}
		}
		p.Industry = code
	}
	if p.Construction != "" && !containsString(ConstructionTypes, p.Construction) {
		return p, &ProjectError{Field: "construction", Value: p.Construction, Allowed: ConstructionTypes,
			Message: fmt.Sprintf("建设性质 %q 无效，应为 %s 之一。", p.Construction, strings.Join(ConstructionTypes, "、"))}
	}
	if p.Activity != "" {
		if _, ok := Activities[p.Activity]; !ok {
			keys := make([]string, 0, len(Activities))
			for k := range Activities {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			return p, &ProjectError{Field: "activity", Value: p.Activity, Allowed: keys,
				Message: fmt.Sprintf("activity %q 无效，应为 %s 之一（生态保护红线内允许的有限人为活动）。", p.Activity, strings.Join(keys, "、"))}
		}
	}
	return p, nil
}
