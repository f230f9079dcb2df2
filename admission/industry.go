package admission

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"
)

// The national industry classification GB/T 4754-2017 (国民经济行业分类):
// 20 sections (门类, a letter A–T), 97 divisions (大类, two digits 01–97),
// 473 groups (中类, three digits) and 1,380 classes (小类, four digits).
// A full code is the section letter followed by the digits, e.g. C2614.
//
//go:embed gbt4754-2017.csv
var industryCSV []byte

// IndustryLevel is the level of a code in GB/T 4754-2017.
type IndustryLevel string

// Levels of GB/T 4754-2017, from the top down.
const (
	IndustrySection  IndustryLevel = "section"  // 门类: a letter, e.g. C
	IndustryDivision IndustryLevel = "division" // 大类: letter + 2 digits, e.g. C26
	IndustryGroup    IndustryLevel = "group"    // 中类: letter + 3 digits, e.g. C261
	IndustryClass    IndustryLevel = "class"    // 小类: letter + 4 digits, e.g. C2614
)

// levelOfDigits maps the number of digits of a code to its level.
func levelOfDigits(n int) (IndustryLevel, bool) {
	switch n {
	case 0:
		return IndustrySection, true
	case 2:
		return IndustryDivision, true
	case 3:
		return IndustryGroup, true
	case 4:
		return IndustryClass, true
	}
	return "", false
}

// Industry is one code of GB/T 4754-2017 with its official name.
type Industry struct {
	Code  string        `json:"code"` // canonical: upper-case letter + digits
	Name  string        `json:"name"` // official Chinese name, as published
	Level IndustryLevel `json:"level"`
	// Parent is the code one level up; empty for a section.
	Parent string `json:"parent"`
}

// divisionSections[i] is the section of division i+1. Divisions are
// numbered 01–97 without gaps and each belongs to exactly one section;
// NewIndustries checks this table against the embedded data.
const divisionSections = "" +
	"AAAAA" + // 01–05 农、林、牧、渔业
	"BBBBBBB" + // 06–12 采矿业
	"CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC" + // 13–43 制造业
	"DDD" + // 44–46 电力、热力、燃气及水生产和供应业
	"EEEE" + // 47–50 建筑业
	"FF" + // 51–52 批发和零售业
	"GGGGGGGG" + // 53–60 交通运输、仓储和邮政业
	"HH" + // 61–62 住宿和餐饮业
	"III" + // 63–65 信息传输、软件和信息技术服务业
	"JJJJ" + // 66–69 金融业
	"K" + // 70 房地产业
	"LL" + // 71–72 租赁和商务服务业
	"MMM" + // 73–75 科学研究和技术服务业
	"NNNN" + // 76–79 水利、环境和公共设施管理业
	"OOO" + // 80–82 居民服务、修理和其他服务业
	"P" + // 83 教育
	"QQ" + // 84–85 卫生和社会工作
	"RRRRR" + // 86–90 文化、体育和娱乐业
	"SSSSSS" + // 91–96 公共管理、社会保障和社会组织
	"T" // 97 国际组织

// sectionOfDivision returns the section letter of a two-digit division,
// or false when the division does not exist.
func sectionOfDivision(d string) (byte, bool) {
	if len(d) != 2 || !isDigit(d[0]) || !isDigit(d[1]) {
		return 0, false
	}
	n := int(d[0]-'0')*10 + int(d[1]-'0')
	if n < 1 || n > len(divisionSections) {
		return 0, false
	}
	return divisionSections[n-1], true
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'A' <= c && c <= 'Z' }

// IndustryCodeError reports an ill-formed industry code.
type IndustryCodeError struct {
	Input  string // the code as given
	Reason string // what is wrong, in Chinese, for people
}

func (e *IndustryCodeError) Error() string {
	return fmt.Sprintf("admission: invalid industry code %q: %s", e.Input, e.Reason)
}

// maxCodeInput bounds the input NormalizeIndustryCode looks at; the
// longest code has five characters.
const maxCodeInput = 64

// foldASCII trims s, turns full-width ASCII (Ｃ２６１４, （）) and the
// ideographic space into their half-width forms, and upper-cases ASCII
// letters, so that input typed with a Chinese input method compares equal
// to its ASCII spelling.
func foldASCII(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		if 'a' <= r && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// NormalizeIndustryCode returns the canonical form of an industry code:
// the section letter in upper case followed by 0, 2, 3 or 4 digits.
// Surrounding spaces are trimmed, letters may be in either case and
// full-width characters (Ｃ２６１４) are accepted. A code of digits only
// ("2614", "26") gets the section letter of its division, which is unique.
//
// It returns an *IndustryCodeError for empty input, characters other than
// letters and digits, a letter outside A–T or anywhere but first, a digit
// count other than 2, 3 or 4, a division outside 01–97, or a letter that
// is not the section of the division ("C4411": 44 is in section D).
//
// Only the section and the division are checked against the standard: a
// well-formed code such as "C2699" normalises even though no such group
// exists. Use (*Industries).Lookup to check existence.
func NormalizeIndustryCode(s string) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		return "", &IndustryCodeError{Input: s, Reason: fmt.Sprintf(format, args...)}
	}
	if len(s) > maxCodeInput {
		return fail("输入过长（%d 字节），行业代码最多 5 个字符", len(s))
	}
	c := foldASCII(s)
	if c == "" {
		return fail("行业代码为空")
	}
	for i, r := range c {
		switch {
		case r < utf8.RuneSelf && isDigit(byte(r)):
		case r < utf8.RuneSelf && isLetter(byte(r)):
			if i != 0 {
				return fail("字母“%c”只能出现在开头，作为门类代码", r)
			}
		default:
			return fail("含有非法字符“%c”，行业代码只能由门类字母（A–T）和数字组成", r)
		}
	}
	letter, digits := byte(0), c
	if isLetter(c[0]) {
		letter, digits = c[0], c[1:]
		if letter > 'T' {
			return fail("门类“%c”不存在，门类字母应为 A–T", letter)
		}
	}
	if _, ok := levelOfDigits(len(digits)); !ok {
		return fail("数字应为 2 位（大类）、3 位（中类）或 4 位（小类），实为 %d 位", len(digits))
	}
	if digits == "" {
		return string(letter), nil
	}
	sec, ok := sectionOfDivision(digits[:2])
	if !ok {
		return fail("大类“%s”不存在，大类代码应为 01–97", digits[:2])
	}
	if letter != 0 && letter != sec {
		return fail("大类“%s”属于门类 %c，而不是门类 %c", digits[:2], sec, letter)
	}
	return string(sec) + digits, nil
}

// Industries is the classification GB/T 4754-2017 loaded from the embedded
// table. It is immutable once built and safe for concurrent use; methods
// return copies, never views into it.
type Industries struct {
	all    []Industry     // sorted by code, which is also top-down order
	keys   []string       // foldASCII(all[i].Name), for name search
	byCode map[string]int // code → index in all
	counts map[IndustryLevel]int
}

// NewIndustries parses the embedded GB/T 4754-2017 table. It checks that
// every code is well formed, unique and at the level its length implies,
// and that every code but a section has a parent one level up; an error
// means the embedded file is damaged. Callers build it once and share it.
func NewIndustries() (*Industries, error) {
	return parseIndustries(industryCSV)
}

func parseIndustries(b []byte) (*Industries, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = 4
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("admission: industries: %w", err)
	}
	if want := []string{"code", "level", "name", "parent"}; !slices.Equal(header, want) {
		return nil, fmt.Errorf("admission: industries: header %v, want %v", header, want)
	}
	ind := &Industries{byCode: map[string]int{}, counts: map[IndustryLevel]int{}}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("admission: industries: %w", err)
		}
		line, _ := r.FieldPos(0)
		it := Industry{Code: rec[0], Level: IndustryLevel(rec[1]), Name: rec[2], Parent: rec[3]}
		if err := checkIndustryRow(it); err != nil {
			return nil, fmt.Errorf("admission: industries: line %d: %w", line, err)
		}
		if _, dup := ind.byCode[it.Code]; dup {
			return nil, fmt.Errorf("admission: industries: line %d: duplicate code %s", line, it.Code)
		}
		ind.byCode[it.Code] = len(ind.all)
		ind.all = append(ind.all, it)
		ind.counts[it.Level]++
	}
	slices.SortFunc(ind.all, func(a, b Industry) int { return strings.Compare(a.Code, b.Code) })
	for i, it := range ind.all {
		ind.byCode[it.Code] = i
		ind.keys = append(ind.keys, foldASCII(it.Name))
	}
	for _, it := range ind.all {
		if it.Level == IndustrySection {
			continue
		}
		if _, ok := ind.byCode[it.Parent]; !ok {
			return nil, fmt.Errorf("admission: industries: %s: parent %s missing", it.Code, it.Parent)
		}
	}
	return ind, nil
}

// checkIndustryRow checks one row on its own: canonical code, level
// matching the code's length, name present, parent being the code with
// its last digit (or, for a division, its digits) removed.
func checkIndustryRow(it Industry) error {
	c, err := NormalizeIndustryCode(it.Code)
	if err != nil {
		return err
	}
	if c != it.Code {
		return fmt.Errorf("code %s is not canonical (%s)", it.Code, c)
	}
	lvl, _ := levelOfDigits(len(c) - 1)
	if it.Level != lvl {
		return fmt.Errorf("code %s has level %q, want %q", c, it.Level, lvl)
	}
	if strings.TrimSpace(it.Name) == "" {
		return fmt.Errorf("code %s has no name", c)
	}
	want := ""
	switch lvl {
	case IndustryDivision:
		want = c[:1]
	case IndustryGroup, IndustryClass:
		want = c[:len(c)-1]
	}
	if it.Parent != want {
		return fmt.Errorf("code %s has parent %q, want %q", c, it.Parent, want)
	}
	return nil
}

// Count returns the number of codes at level: 20 sections, 97 divisions,
// 473 groups, 1,380 classes; 0 for an unknown level.
func (ind *Industries) Count(level IndustryLevel) int {
	return ind.counts[level]
}

// All returns every code of the standard, top down in code order (A,
// A01, A011, A0111, …); the slice is the caller's to keep.
func (ind *Industries) All() []Industry {
	return slices.Clone(ind.all)
}

// Lookup returns the industry with the given code, normalised as by
// NormalizeIndustryCode ("c2614", "2614" and "C2614" are the same). It
// reports false for an ill-formed code, an empty one, or a well-formed code
// the standard does not have.
func (ind *Industries) Lookup(code string) (Industry, bool) {
	c, err := NormalizeIndustryCode(code)
	if err != nil {
		return Industry{}, false
	}
	i, ok := ind.byCode[c]
	if !ok {
		return Industry{}, false
	}
	return ind.all[i], true
}

// Ancestors returns the chain from the section down to code itself: a
// section, division, group and class for a class code, just the section
// for a section. It returns nil for an ill-formed or unknown code.
func (ind *Industries) Ancestors(code string) []Industry {
	it, ok := ind.Lookup(code)
	if !ok {
		return nil
	}
	chain := []Industry{it}
	for it.Parent != "" {
		it = ind.all[ind.byCode[it.Parent]]
		chain = append(chain, it)
	}
	slices.Reverse(chain)
	return chain
}

// MatchesPrefix reports whether code falls under prefix, as when a clause
// names a section ("C"), a division ("C26" or "26"), a group ("C261") or a
// class ("C2614"): a prefix matches itself and every code below it, so a
// section matches every code in the section. Both sides are normalised
// first (case, spaces, missing letter); if either is ill-formed the answer
// is false, so is a prefix deeper than the code ("C2614" does not match
// "C261"). Existence in the standard is not checked beyond the division:
// "C2699" falls under "C26" though the standard has no C2699; check codes
// with Lookup first. It needs no table and works on a nil *Industries.
func (ind *Industries) MatchesPrefix(code, prefix string) bool {
	c, err := NormalizeIndustryCode(code)
	if err != nil {
		return false
	}
	p, err := NormalizeIndustryCode(prefix)
	if err != nil {
		return false
	}
	return strings.HasPrefix(c, p)
}

// DefaultSearchLimit is the number of results Search returns when asked
// for limit ≤ 0.
const DefaultSearchLimit = 20

// Search finds industries for autocomplete, returning at most limit of
// them (DefaultSearchLimit when limit ≤ 0), or nil for an empty q, a q
// over 256 bytes, or no match.
//
// A q shaped like a code prefix — an optional letter and up to four digits,
// in either case: "C", "C26", "c261", "26", "2" — returns the codes that
// start with it, at every level, shortest codes first and then in code
// order; digits alone match the digits of codes in any section. Any other
// q, or a code-shaped q that matches no code, is a name substring
// ("化学", "数据", "3d"): matches at every level, names starting with q
// first, then shorter names, then shorter codes (a group before the class
// of the same name), then code order. Name matching ignores ASCII case and
// the width of ASCII characters and brackets, since the official names mix
// （） and ().
func (ind *Industries) Search(q string, limit int) []Industry {
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	if len(q) > maxCodeInput*4 {
		return nil
	}
	key := foldASCII(q)
	if key == "" {
		return nil
	}
	if res := ind.searchCode(key, limit); res != nil {
		return res
	}
	return ind.searchName(key, limit)
}

// codePrefixShaped reports whether k (already folded) is an optional
// letter followed by at most four digits.
func codePrefixShaped(k string) bool {
	d := k
	if isLetter(k[0]) {
		d = k[1:]
	}
	if len(d) > 4 {
		return false
	}
	for i := 0; i < len(d); i++ {
		if !isDigit(d[i]) {
			return false
		}
	}
	return true
}

func (ind *Industries) searchCode(k string, limit int) []Industry {
	if !codePrefixShaped(k) {
		return nil
	}
	var res []Industry
	for _, it := range ind.all {
		if isLetter(k[0]) && strings.HasPrefix(it.Code, k) ||
			!isLetter(k[0]) && strings.HasPrefix(it.Code[1:], k) {
			res = append(res, it)
		}
	}
	slices.SortStableFunc(res, func(a, b Industry) int { // all is in code order
		return len(a.Code) - len(b.Code)
	})
	return truncate(res, limit)
}

func (ind *Industries) searchName(k string, limit int) []Industry {
	type hit struct {
		i      int
		prefix bool
		runes  int
	}
	var hits []hit
	for i, name := range ind.keys {
		if strings.Contains(name, k) {
			hits = append(hits, hit{i, strings.HasPrefix(name, k), utf8.RuneCountInString(name)})
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		switch {
		case a.prefix != b.prefix:
			if a.prefix {
				return -1
			}
			return 1
		case a.runes != b.runes:
			return a.runes - b.runes
		case len(ind.all[a.i].Code) != len(ind.all[b.i].Code):
			return len(ind.all[a.i].Code) - len(ind.all[b.i].Code)
		}
		return strings.Compare(ind.all[a.i].Code, ind.all[b.i].Code)
	})
	var res []Industry
	for _, h := range hits[:min(len(hits), limit)] {
		res = append(res, ind.all[h.i])
	}
	return res
}

func truncate(s []Industry, n int) []Industry {
	if len(s) > n {
		s = s[:n]
	}
	if len(s) == 0 {
		return nil
	}
	return s
}

// DefaultClosest is the number of suggestions Closest returns when asked
// for n ≤ 0.
const DefaultClosest = 5

// maxClosestDigits bounds the digits Closest compares.
const maxClosestDigits = 8

// Closest suggests the n codes of the standard nearest to input (which is
// typically unknown or ill-formed), DefaultClosest when n ≤ 0. Input is
// read leniently: spaces, punctuation and case are ignored, a leading
// letter is the section, the digits are the rest. The order is
// deterministic:
//
//  1. codes in the section the input's division belongs to, or, when the
//     division does not exist, in the section its letter names;
//  2. longer common prefix of the digits;
//  3. with a common prefix, smaller edit distance between the digits, then
//     the same number of digits as the input (the same level); with none,
//     fewer digits (the section, then divisions);
//  4. numerically nearer, reading the digits as a four-digit number with
//     zeros added on the right;
//  5. code order.
//
// So a known code gets itself first, "C2699" gets C2689, C2669, … (classes
// of C26 differing in one digit), "C4411" gets D4411 (the digits win over
// a wrong letter), and "C9999" gets section C, then its last divisions C43,
// C42, …. Input with neither letters nor digits gets nil.
func (ind *Industries) Closest(input string, n int) []Industry {
	if n <= 0 {
		n = DefaultClosest
	}
	if len(input) > maxCodeInput*4 {
		input = input[:maxCodeInput*4]
	}
	k := foldASCII(input)
	var letter byte
	var digits []byte
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case isDigit(c):
			if len(digits) < maxClosestDigits {
				digits = append(digits, c)
			}
		case isLetter(c) && letter == 0 && len(digits) == 0:
			letter = c
		}
	}
	if letter == 0 && len(digits) == 0 {
		return nil
	}
	section := byte(0)
	if letter != 0 && letter <= 'T' {
		section = letter
	}
	if len(digits) >= 2 {
		if s, ok := sectionOfDivision(string(digits[:2])); ok {
			section = s
		}
	}
	d := string(digits)
	type cand struct {
		i                              int
		other, lcp, dist, lvl, numDist int
	}
	cands := make([]cand, len(ind.all))
	for i, it := range ind.all {
		cd := it.Code[1:]
		c := cand{i: i, lcp: commonPrefix(cd, d), dist: editDistance(cd, d), lvl: absInt(len(cd) - len(d))}
		if section != 0 && it.Code[0] != section {
			c.other = 1
		}
		c.numDist = absInt(asFourDigits(cd) - asFourDigits(d))
		cands[i] = c
	}
	slices.SortFunc(cands, func(a, b cand) int {
		switch {
		case a.other != b.other:
			return a.other - b.other
		case a.lcp != b.lcp:
			return b.lcp - a.lcp
		case a.lcp == 0 && len(ind.all[a.i].Code) != len(ind.all[b.i].Code):
			// No digit in common: the edit distance says nothing, so
			// offer the broadest codes, then the numerically nearest.
			return len(ind.all[a.i].Code) - len(ind.all[b.i].Code)
		case a.lcp != 0 && a.dist != b.dist:
			return a.dist - b.dist
		case a.lcp != 0 && a.lvl != b.lvl:
			return a.lvl - b.lvl
		case a.numDist != b.numDist:
			return a.numDist - b.numDist
		}
		return strings.Compare(ind.all[a.i].Code, ind.all[b.i].Code)
	})
	res := make([]Industry, 0, min(n, len(cands)))
	for _, c := range cands[:min(n, len(cands))] {
		res = append(res, ind.all[c.i])
	}
	return res
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// editDistance is the Levenshtein distance between a and b, ASCII
// strings of at most maxClosestDigits bytes (longer ones are cut).
func editDistance(a, b string) int {
	a, b = a[:min(len(a), maxClosestDigits)], b[:min(len(b), maxClosestDigits)]
	var prev, cur [maxClosestDigits + 1]int
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// asFourDigits reads up to four digits as a number, padding on the right
// with zeros: "26" → 2600, "2699" → 2699.
func asFourDigits(d string) int {
	n := 0
	for i := 0; i < 4; i++ {
		n *= 10
		if i < len(d) {
			n += int(d[i] - '0')
		}
	}
	return n
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
