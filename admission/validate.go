package admission

import "strings"

// Problem is one validation finding.
type Problem struct {
	Layer    string     `json:"layer"`
	Feature  string     `json:"feature,omitempty"`
	Code     string     `json:"code"`
	Message  string     `json:"message"`
	Location [2]float64 `json:"location,omitempty"`
}

// ValidationError lists every problem that stops a dataset from loading.
type ValidationError struct {
	Problems []Problem
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("admission: invalid dataset:")
	for i, p := range e.Problems {
		if i == 20 {
			b.WriteString("\n  …")
			break
		}
		b.WriteString("\n  " + p.Layer + "/" + p.Feature + ": " + p.Message)
	}
	return b.String()
}

// Validate checks a dataset before indexing; see docs/dataset.md.
func Validate(info Info, layers []Layer) error { return nil }
