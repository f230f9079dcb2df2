package report

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/batch"
)

// Diff is how a re-run answer differs from the stored one. Fields lists
// the answer's top-level fields whose content differs (the dataset and
// timing fields are not compared); an empty Fields means the same answer.
// The other members spell out what matters to a reader.
type Diff struct {
	Verdict        *Change     `json:"verdict,omitempty"`
	HitsAdded      []HitRef    `json:"hits_added,omitempty"`
	HitsRemoved    []HitRef    `json:"hits_removed,omitempty"`
	ClausesAdded   []ClauseRef `json:"clauses_added,omitempty"`
	ClausesRemoved []ClauseRef `json:"clauses_removed,omitempty"`
	Fields         []string    `json:"fields"`
}

// Same reports whether the answers agree.
func (d Diff) Same() bool { return len(d.Fields) == 0 }

// Change is a value before and after.
type Change struct {
	Stored  string `json:"stored"`
	Current string `json:"current"`
}

// HitRef is a feature the site meets: the layer, id and name, and how.
type HitRef struct {
	Layer    string `json:"layer"`
	ID       string `json:"id"`
	Name     string `json:"name"`
	Relation string `json:"relation,omitempty"`
}

// ClauseRef is a clause that applies, with its outcome for the project.
type ClauseRef struct {
	ID      string `json:"id"`
	Outcome string `json:"outcome,omitempty"`
}

// ignored are the answer fields not compared: which dataset answered,
// and when.
var ignored = map[string]bool{"dataset": true, "dataset_checksum": true, "checked_at": true}

// fieldDiff lists the top-level fields of two JSON objects that differ.
func fieldDiff(stored, current []byte) ([]string, error) {
	var a, b map[string]any
	if err := json.Unmarshal(stored, &a); err != nil {
		return nil, fmt.Errorf("report: decode stored answer: %w", err)
	}
	if err := json.Unmarshal(current, &b); err != nil {
		return nil, fmt.Errorf("report: decode current answer: %w", err)
	}
	out := []string{}
	for k, v := range a {
		if !ignored[k] && !reflect.DeepEqual(v, b[k]) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok && !ignored[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

// CompareChecks compares a stored check answer (its JSON) with a fresh one.
func CompareChecks(stored []byte, current *admission.CheckResult) (Diff, error) {
	cur, err := json.Marshal(current)
	if err != nil {
		return Diff{}, fmt.Errorf("report: encode current answer: %w", err)
	}
	var old admission.CheckResult
	if err := json.Unmarshal(stored, &old); err != nil {
		return Diff{}, fmt.Errorf("report: decode stored answer: %w", err)
	}
	d := Diff{}
	if d.Fields, err = fieldDiff(stored, cur); err != nil {
		return Diff{}, err
	}
	if a, b := VerdictOf(&old), VerdictOf(current); a != b {
		d.Verdict = &Change{Stored: a, Current: b}
	}
	d.HitsAdded, d.HitsRemoved = setDiff(checkHits(&old), checkHits(current))
	d.ClausesAdded, d.ClausesRemoved = setDiff(checkClauses(&old), checkClauses(current))
	return d, nil
}

func checkHits(r *admission.CheckResult) []HitRef {
	out := make([]HitRef, 0, len(r.Hits))
	for _, h := range r.Hits {
		out = append(out, HitRef{Layer: h.Layer, ID: h.ID, Name: h.Name, Relation: string(h.Relation)})
	}
	return out
}

// checkClauses are the clauses that apply (outcome other than
// not_applicable).
func checkClauses(r *admission.CheckResult) []ClauseRef {
	if r.Assessment == nil {
		return nil
	}
	var out []ClauseRef
	for _, c := range r.Assessment.Clauses {
		if c.Outcome != admission.OutcomeNotApplicable {
			out = append(out, ClauseRef{ID: c.ID, Outcome: c.Outcome})
		}
	}
	return out
}

// CompareRows compares a stored batch row result with a fresh one.
func CompareRows(stored, current batch.Result) (Diff, error) {
	a, err := json.Marshal(stored)
	if err != nil {
		return Diff{}, fmt.Errorf("report: encode stored row: %w", err)
	}
	b, err := json.Marshal(current)
	if err != nil {
		return Diff{}, fmt.Errorf("report: encode current row: %w", err)
	}
	d := Diff{}
	if d.Fields, err = fieldDiff(a, b); err != nil {
		return Diff{}, err
	}
	if stored.Outcome != current.Outcome {
		d.Verdict = &Change{Stored: stored.Outcome, Current: current.Outcome}
	}
	d.HitsAdded, d.HitsRemoved = setDiff(rowHits(stored), rowHits(current))
	d.ClausesAdded, d.ClausesRemoved = setDiff(rowClauses(stored), rowClauses(current))
	return d, nil
}

func rowHits(r batch.Result) []HitRef {
	var out []HitRef
	for _, u := range r.Units {
		out = append(out, HitRef{Layer: admission.LayerControlUnits, ID: u.ID, Name: u.Name})
	}
	if r.RedLine != nil {
		out = append(out, HitRef{Layer: admission.LayerEcoRedline, Name: "生态保护红线"})
	}
	return out
}

func rowClauses(r batch.Result) []ClauseRef {
	var out []ClauseRef
	for _, id := range r.Clauses {
		out = append(out, ClauseRef{ID: id})
	}
	return out
}

// setDiff returns what b has that a has not, and what a has that b has
// not, each in its list's order.
func setDiff[T comparable](a, b []T) (added, removed []T) {
	for _, x := range b {
		if !slices.Contains(a, x) {
			added = append(added, x)
		}
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			removed = append(removed, x)
		}
	}
	return added, removed
}
