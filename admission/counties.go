package admission

import "sort"

// CountyChange records a county-level code of GB/T 2260 that was retired
// and the code that took over its territory.
type CountyChange struct {
	Old     string `json:"old"`
	OldName string `json:"old_name"`
	New     string `json:"new"`
	NewName string `json:"new_name"`
	// MergedWith names the division the old one was merged with to form
	// the new one (the new code then covers more than the old territory).
	MergedWith string `json:"merged_with,omitempty"`
}

// retiredCounties are the county-level codes of Chongqing retired since
// the municipality's 1997 code list, with the codes in force now.
//
// Source: the Ministry of Civil Affairs code lists as archived in the
// public repository cn/GB2260 (mca/199912.tsv against mca/200512.tsv and
// mca/201612.tsv, read by code and name); the first three are also in
// docs/domain.md. Old and new entries are paired by name; the two merges
// (綦江县 with 万盛区, 大足县 with 双桥区) are well known. Only Chongqing is
// covered: the table is what an old Chongqing dataset needs, not a copy of
// GB/T 2260's history.
//
// Two codes were reused rather than retired and cannot be detected from
// the code alone: 500110 meant 万盛区 before the 2011 merge and means
// 綦江区 now; 500111 meant 双桥区 and means 大足区.
var retiredCounties = map[string]CountyChange{
	// docs/domain.md
	"500228": {Old: "500228", OldName: "梁平县", New: "500155", NewName: "梁平区"},
	"500232": {Old: "500232", OldName: "武隆县", New: "500156", NewName: "武隆区"},
	"500234": {Old: "500234", OldName: "开县", New: "500154", NewName: "开州区"},
	// cn/GB2260 (MCA lists 1999-12 and 2016-12)
	"500239": {Old: "500239", OldName: "黔江土家族苗族自治县", New: "500114", NewName: "黔江区"},
	"500221": {Old: "500221", OldName: "长寿县", New: "500115", NewName: "长寿区"},
	"500181": {Old: "500181", OldName: "江津市", New: "500116", NewName: "江津区"},
	"500182": {Old: "500182", OldName: "合川市", New: "500117", NewName: "合川区"},
	"500183": {Old: "500183", OldName: "永川市", New: "500118", NewName: "永川区"},
	"500184": {Old: "500184", OldName: "南川市", New: "500119", NewName: "南川区"},
	"500222": {Old: "500222", OldName: "綦江县", New: "500110", NewName: "綦江区", MergedWith: "万盛区"},
	"500225": {Old: "500225", OldName: "大足县", New: "500111", NewName: "大足区", MergedWith: "双桥区"},
	"500227": {Old: "500227", OldName: "璧山县", New: "500120", NewName: "璧山区"},
	"500224": {Old: "500224", OldName: "铜梁县", New: "500151", NewName: "铜梁区"},
	"500223": {Old: "500223", OldName: "潼南县", New: "500152", NewName: "潼南区"},
	"500226": {Old: "500226", OldName: "荣昌县", New: "500153", NewName: "荣昌区"},
}

// RetiredCounty reports whether code is a retired county-level code of
// the alias table and, if so, what replaced it. Codes the table does not
// know (current codes, other provinces, malformed input) give false.
func RetiredCounty(code string) (CountyChange, bool) {
	c, ok := retiredCounties[code]
	return c, ok
}

// CountyAliases returns the other codes of a county-level division in the
// alias table: for a retired code the code in force now, for a code in
// force the retired codes it replaced (ordered). Codes the table does not
// know give nil.
func CountyAliases(code string) []string {
	if c, ok := retiredCounties[code]; ok {
		return []string{c.New}
	}
	var out []string
	for _, c := range retiredCounties {
		if c.New == code {
			out = append(out, c.Old)
		}
	}
	sort.Strings(out)
	return out
}

// RetiredCounties returns the alias table, ordered by old code.
func RetiredCounties() []CountyChange {
	out := make([]CountyChange, 0, len(retiredCounties))
	for _, c := range retiredCounties {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Old < out[j].Old })
	return out
}

// describe is the Chinese phrase for the change, e.g. "500228（梁平县）已撤销，
// 现为 500155（梁平区）".
func (c CountyChange) describe() string {
	s := c.Old + "（" + c.OldName + "）已撤销，现为 " + c.New + "（" + c.NewName + "）"
	if c.MergedWith != "" {
		s += "（由原" + c.OldName + "与" + c.MergedWith + "合并设立）"
	}
	return s
}
