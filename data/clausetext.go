package data

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sanxian/sanxian/admission"
)

// Published access lists (生态环境准入清单) give their clauses as free text,
// one spreadsheet cell per unit and dimension. This file turns such a cell
// into items (SplitClauses), reads each item's effect from its wording
// (ClassifyEffect) and recognises, conservatively, the industries it names
// (DetectIndustries). Nothing here guesses: what is not certain is left to
// a person (Machine false).

// ClauseItem is one numbered item of a cell of clause text.
type ClauseItem struct {
	// Number is the item's numbering without its brackets and trailing
	// punctuation, full-width digits and dashes folded to ASCII: "1-3" for
	// "1－3．", "2" for "2、" or "（2）", "1.1" for "1.1"; a circled or
	// Chinese numeral is kept as written ("①", "三"). Empty for an
	// unnumbered item.
	Number string `json:"number,omitempty"`
	// Text is the item as published, without its number, trimmed; inner
	// line breaks are kept as "\n".
	Text string `json:"text"`
}

// Numbering families. Items of one cell are split on one family only (the
// first one found); numbers of other families stay inside the items, as
// the sub-items they usually are.
const (
	itemNumDash     = iota + 1 // 1-1, 1－1, 1—1, 1-1-1
	itemNumDotted              // 1.1 (at a line start only)
	itemNumArabic              // 1. 1． 1、 1) 1） ⒈
	itemNumParen               // (1) （1） ⑴
	itemNumCircled             // ①
	itemNumCJK                 // 一、 一．
	itemNumParenCJK            // （一） (一)
	maxItemValue    = 999
)

// clauseMarker is a numbering found in a cell.
type clauseMarker struct {
	start, end int // byte offsets: the marker, and where the item's text begins
	family     int
	number     string // as ClauseItem.Number
	prefix     string // the number without its last part ("1-" of "1-3"): a sequence keeps it
	value      int    // the last part as an integer
	lineStart  bool   // at the start of the text or of a line
}

// SplitClauses splits a cell of published clause text into its items.
//
// Numbering is recognised at the start of the text, at the start of a line,
// or right after a sentence end (。；;！？!?): "1-1 …", "1-1．…", "1-1-2 …",
// "1.1 …" (line starts only), "1.", "1．", "1、", "1)", "1）", "(1)",
// "（1）", "①"–"㊿", "⑴", "⒈", "一、", "一．", "（一）". Digits and brackets may
// be full-width. A number followed by a unit ("1.5 公里", "3、5 米", "10-15
// 公里"), a digit or "一、二级" is not numbering.
//
// The cell is split on the family of the first numbering that starts a
// line, or that comes after a sentence end with the value 1. Other numbers
// of that family split the cell when they start a line, or, after a
// sentence end, when they continue the sequence (value one more than the
// previous item, same prefix). Numbers of other families are left in the
// text: "1-1 禁止下列行为：（1）…；（2）…" is one item. Text before the first
// number is an unnumbered item of its own, unless it ends with a colon
// ("禁止下列行为：\n（1）…"): the cell is then one unnumbered item, so that
// no sub-item is cut off from its verb.
//
// A cell without numbering is split at line ends only after a line that
// ends a sentence (。；;！？!?), so that text wrapped by hand stays whole;
// a cell of one line is one item.
//
// Nothing is lost: the items' numbers and texts, in order, hold every
// character of text except white space, the numbering's brackets and
// punctuation, and the width of full-width digits and dashes in numbers.
// Texts are trimmed of white space (and U+FEFF, U+200B); line breaks
// "\r\n" and "\r" become "\n". A blank cell has no items (nil). Invalid
// UTF-8 is passed through unchanged.
func SplitClauses(text string) []ClauseItem {
	text = clauseBreaks(text)
	if strings.TrimFunc(text, isClauseTrim) == "" {
		return nil
	}
	marks := acceptedClauseMarkers(text, findClauseMarkers(text))
	if len(marks) == 0 {
		return splitUnnumberedItems(text)
	}
	pre := strings.TrimFunc(text[:marks[0].start], isClauseTrim)
	if strings.HasSuffix(pre, "：") || strings.HasSuffix(pre, ":") {
		return []ClauseItem{{Text: strings.TrimFunc(text, isClauseTrim)}}
	}
	items := splitUnnumberedItems(text[:marks[0].start])
	for i, m := range marks {
		end := len(text)
		if i+1 < len(marks) {
			end = marks[i+1].start
		}
		items = append(items, ClauseItem{Number: m.number, Text: strings.TrimFunc(text[m.end:end], isClauseTrim)})
	}
	return items
}

func clauseBreaks(s string) string {
	if !strings.ContainsAny(s, "\r\u2028\u2029") {
		return s
	}
	return strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n").Replace(s)
}

func isClauseTrim(r rune) bool { return unicode.IsSpace(r) || r == '\ufeff' || r == '\u200b' }

// isClauseSentenceEnd reports whether r ends a sentence (a clause may follow).
func isClauseSentenceEnd(r rune) bool {
	switch r {
	case '。', '；', ';', '！', '？', '!', '?':
		return true
	}
	return false
}

// splitUnnumberedItems splits text without numbering into items at the line
// breaks that follow a sentence end; blank parts are dropped.
func splitUnnumberedItems(text string) []ClauseItem {
	var items []ClauseItem
	start := 0
	flush := func(end int) {
		if t := strings.TrimFunc(text[start:end], isClauseTrim); t != "" {
			items = append(items, ClauseItem{Text: t})
		}
		start = end
	}
	for i := 0; i < len(text); {
		j := strings.IndexByte(text[i:], '\n')
		if j < 0 {
			break
		}
		line := strings.TrimFunc(text[i:i+j], isClauseTrim)
		if r, _ := utf8.DecodeLastRuneInString(line); line != "" && isClauseSentenceEnd(r) {
			flush(i + j)
		}
		i += j + 1
	}
	flush(len(text))
	return items
}

// findClauseMarkers lists the numberings of text at the positions where an item
// may start: the start of the text or of a line, or after a sentence end
// (white space skipped in each case).
func findClauseMarkers(text string) []clauseMarker {
	var out []clauseMarker
	try := func(pos int, lineStart bool) {
		for pos < len(text) {
			r, n := utf8.DecodeRuneInString(text[pos:])
			if r == '\n' || !isClauseTrim(r) {
				break
			}
			pos += n
		}
		if m, ok := parseClauseMarker(text, pos, lineStart); ok {
			out = append(out, m)
		}
	}
	try(0, true)
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		i += n
		switch {
		case r == '\n':
			try(i, true)
		case isClauseSentenceEnd(r):
			try(i, false)
		}
	}
	// A sentence end at a line end offers the same position twice.
	return slices.CompactFunc(out, func(a, b clauseMarker) bool { return a.start == b.start })
}

// acceptedClauseMarkers keeps the markers the cell is split on (see
// SplitClauses).
func acceptedClauseMarkers(text string, cands []clauseMarker) []clauseMarker {
	family := 0
	for _, m := range cands {
		if m.lineStart || m.value == 1 {
			family = m.family
			break
		}
	}
	var out []clauseMarker
	for _, m := range cands {
		if m.family != family {
			continue
		}
		switch {
		case m.lineStart:
		case len(out) == 0:
			if m.value != 1 {
				continue
			}
		default:
			prev := out[len(out)-1]
			if m.prefix != prev.prefix || m.value != prev.value+1 {
				continue
			}
		}
		out = append(out, m)
	}
	return out
}

// clauseFoldRune folds full-width ASCII (and the ideographic space) to ASCII.
func clauseFoldRune(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

// markerCursor reads runes of a marker.
type markerCursor struct {
	s   string
	pos int
}

func (c *markerCursor) peek() rune {
	if c.pos >= len(c.s) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(c.s[c.pos:])
	return r
}

func (c *markerCursor) next() rune {
	if c.pos >= len(c.s) {
		return -1
	}
	r, n := utf8.DecodeRuneInString(c.s[c.pos:])
	c.pos += n
	return r
}

// digits reads up to max ASCII or full-width digits, returning them in
// ASCII ("" when none).
func (c *markerCursor) digits(max int) string {
	var b strings.Builder
	for b.Len() < max {
		r := clauseFoldRune(c.peek())
		if r < '0' || r > '9' {
			break
		}
		c.next()
		b.WriteRune(r)
	}
	return b.String()
}

func (c *markerCursor) rest() string { return c.s[c.pos:] }

func (c *markerCursor) skipSpace() {
	for c.pos < len(c.s) {
		r, n := utf8.DecodeRuneInString(c.s[c.pos:])
		if r == '\n' || !isClauseTrim(r) {
			return
		}
		c.pos += n
	}
}

func isClauseDash(r rune) bool {
	switch r {
	case '-', '－', '—', '–', '‐', '‑':
		return true
	}
	return false
}

func isClauseOpenParen(r rune) bool  { return r == '(' || r == '（' }
func isClauseCloseParen(r rune) bool { return r == ')' || r == '）' }

// itemQuantityUnits follow a number that is a quantity, not a numbering
// ("1.5公里", "3-5年", "10-15 万吨" is not caught: a space comes first).
var itemQuantityUnits = []string{"公里", "公顷", "千米", "千瓦", "米", "%", "个", "年", "月", "日", "天", "吨", "倍", "亩", "元",
	"平方", "立方", "万吨", "万元", "万亩", "万千瓦", "万平方", "万立方", "小时", "km", "m2", "m³", "m²"}

func isClauseDigit(r rune) bool { r = clauseFoldRune(r); return r >= '0' && r <= '9' }

// afterItemNumber checks what follows the digits of a numeric marker: not a
// digit, not a unit.
func afterItemNumber(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	if s == "" {
		return true
	}
	if isClauseDigit(r) {
		return false
	}
	if r >= 0xFF01 && r <= 0xFF5E {
		s = string(clauseFoldRune(r)) + s[utf8.RuneLen(r):]
	}
	return !clauseHasPrefix(s, itemQuantityUnits)
}

// clauseCJKDigits are the Chinese numerals of item numbers.
const clauseCJKDigits = "一二三四五六七八九十"

// clauseCJKValue reads a Chinese numeral from 一 to 九十九; 0 when s is not one.
func clauseCJKValue(s string) int {
	rs := []rune(s)
	val := func(r rune) int { return strings.IndexRune(clauseCJKDigits, r)/3 + 1 } // 3 bytes a rune
	switch {
	case len(rs) == 1:
		return val(rs[0])
	case len(rs) == 2 && rs[0] == '十' && rs[1] != '十':
		return 10 + val(rs[1])
	case len(rs) == 2 && rs[1] == '十' && rs[0] != '十':
		return val(rs[0]) * 10
	case len(rs) == 3 && rs[1] == '十' && rs[0] != '十' && rs[2] != '十':
		return val(rs[0])*10 + val(rs[2])
	}
	return 0
}

// cjkNumber reads up to three Chinese numerals.
func (c *markerCursor) cjkNumber() string {
	start := c.pos
	for i := 0; i < 3 && strings.ContainsRune(clauseCJKDigits, c.peek()); i++ {
		c.next()
	}
	return c.s[start:c.pos]
}

// clauseEnclosedValue returns the value of ①–⑳ ㉑–㉟ ㊱–㊿ (circled), ⑴–⒇
// (parenthesised) and ⒈–⒛ (with a full stop), with its family.
func clauseEnclosedValue(r rune) (family, value int) {
	switch {
	case r >= 0x2460 && r <= 0x2473:
		return itemNumCircled, int(r-0x2460) + 1
	case r >= 0x3251 && r <= 0x325F:
		return itemNumCircled, int(r-0x3251) + 21
	case r >= 0x32B1 && r <= 0x32BF:
		return itemNumCircled, int(r-0x32B1) + 36
	case r >= 0x2474 && r <= 0x2487:
		return itemNumParen, int(r-0x2474) + 1
	case r >= 0x2488 && r <= 0x249B:
		return itemNumArabic, int(r-0x2488) + 1
	}
	return 0, 0
}

// parseClauseMarker reads a numbering at pos; see SplitClauses for the forms.
func parseClauseMarker(text string, pos int, lineStart bool) (clauseMarker, bool) {
	c := &markerCursor{s: text, pos: pos}
	m := clauseMarker{start: pos, lineStart: lineStart}
	finish := func(delims string) (clauseMarker, bool) {
		if r := c.peek(); r != -1 && strings.ContainsRune(delims, r) {
			c.next()
		}
		c.skipSpace()
		m.end = c.pos
		return m, m.value > 0 && m.value <= maxItemValue
	}
	r := c.peek()
	switch {
	case isClauseDigit(r):
		first := c.digits(3)
		switch sep := c.peek(); {
		case isClauseDash(sep) && len(first) <= 2:
			parts := []string{first}
			for len(parts) < 3 && isClauseDash(c.peek()) {
				save := c.pos
				c.next()
				d := c.digits(3)
				if d == "" {
					c.pos = save
					break
				}
				parts = append(parts, d)
			}
			if len(parts) < 2 || isClauseDash(c.peek()) || !afterItemNumber(c.rest()) {
				return m, false
			}
			m.family, m.number = itemNumDash, strings.Join(parts, "-")
			m.prefix = strings.Join(parts[:len(parts)-1], "-") + "-"
			m.value, _ = strconv.Atoi(parts[len(parts)-1])
			return finish("．.、:：)）")
		case sep == '.' || sep == '．':
			c.next()
			if d := c.digits(3); d != "" {
				// 1.1: a line start only, and not a quantity.
				if !lineStart || len(first) > 2 || c.peek() == '.' || c.peek() == '．' || !afterItemNumber(c.rest()) {
					return m, false
				}
				m.family, m.number, m.prefix = itemNumDotted, first+"."+d, first+"."
				m.value, _ = strconv.Atoi(d)
				return finish("．.、:：")
			}
			if isClauseDigit(c.peek()) {
				return m, false
			}
			m.family, m.number = itemNumArabic, first
			m.value, _ = strconv.Atoi(first)
			return finish("")
		case sep == '、' || isClauseCloseParen(sep):
			c.next()
			if isClauseDigit(c.peek()) { // 3、5 米
				return m, false
			}
			m.family, m.number = itemNumArabic, first
			m.value, _ = strconv.Atoi(first)
			return finish("")
		}
		return m, false
	case isClauseOpenParen(r):
		c.next()
		c.skipSpace()
		if d := c.digits(3); d != "" {
			c.skipSpace()
			if !isClauseCloseParen(c.next()) {
				return m, false
			}
			m.family, m.number = itemNumParen, d
			m.value, _ = strconv.Atoi(d)
			return finish("、．.")
		}
		n := c.cjkNumber()
		if n == "" || !isClauseCloseParen(c.next()) {
			return m, false
		}
		m.family, m.number, m.value = itemNumParenCJK, n, clauseCJKValue(n)
		return finish("、．.")
	case strings.ContainsRune(clauseCJKDigits, r):
		n := c.cjkNumber()
		if sep := c.next(); sep != '、' && sep != '．' && sep != '.' {
			return m, false
		}
		// 一、二级保护区: a list of grades, not a numbering (一、一般… is).
		save := c.pos
		if c.cjkNumber() != "" && strings.ContainsRune("级类等", c.peek()) {
			return m, false
		}
		c.pos = save
		m.family, m.number, m.value = itemNumCJK, n, clauseCJKValue(n)
		return finish("")
	}
	if f, v := clauseEnclosedValue(r); f != 0 {
		c.next()
		m.family, m.number, m.value = f, string(r), v
		return finish("、．.")
	}
	return m, false
}

// ---- effects ----

// clauseEffectRank orders the effects from the strictest.
var clauseEffectRank = map[string]int{
	admission.EffectProhibit: 0, admission.EffectRestrict: 1, admission.EffectRequire: 2,
	admission.EffectEncourage: 3, admission.EffectInfo: 4,
}

// effectCue is a phrase that marks an effect. A cue is not taken when the
// text right before it ends with one of notAfter, or the text right
// after it starts with one of notBefore.
type effectCue struct {
	word, effect        string
	notAfter, notBefore []string
}

// clauseQuantityLimits follow 不得 in a numeric limit, which is an obligation
// ("回用率不得低于 60%"), not a prohibition.
var clauseQuantityLimits = []string{"低于", "高于", "超过", "少于", "大于", "小于", "突破"}

var effectCues = []effectCue{
	// prohibit
	{word: "禁止", effect: admission.EffectProhibit},
	{word: "严禁", effect: admission.EffectProhibit},
	{word: "不得", effect: admission.EffectProhibit, notAfter: []string{"原则上"}, notBefore: clauseQuantityLimits},
	{word: "不予", effect: admission.EffectProhibit, notAfter: []string{"原则上"}},
	{word: "不准", effect: admission.EffectProhibit, notAfter: []string{"原则上"}},
	{word: "不允许", effect: admission.EffectProhibit, notAfter: []string{"原则上"}},
	// restrict
	{word: "原则上不", effect: admission.EffectRestrict},
	{word: "严格控制", effect: admission.EffectRestrict},
	{word: "从严控制", effect: admission.EffectRestrict},
	{word: "严控", effect: admission.EffectRestrict},
	{word: "限制", effect: admission.EffectRestrict, notAfter: []string{"不"}},
	{word: "限批", effect: admission.EffectRestrict},
	{word: "不宜", effect: admission.EffectRestrict},
	// require
	{word: "应当", effect: admission.EffectRequire},
	{word: "必须", effect: admission.EffectRequire},
	{word: "须", effect: admission.EffectRequire, notAfter: []string{"无", "毋", "不"}, notBefore: []string{"知"}},
	{word: "应", effect: admission.EffectRequire,
		notAfter:  []string{"相", "对", "供", "适", "响", "效", "反", "感", "呼", "回", "照", "顺", "报", "答", "理", "本"},
		notBefore: []string{"急", "用", "对", "变", "力"}},
	{word: "要求", effect: admission.EffectRequire},
	{word: "执行", effect: admission.EffectRequire},
	{word: "落实", effect: admission.EffectRequire},
	{word: "遵守", effect: admission.EffectRequire},
	{word: "不得", effect: admission.EffectRequire}, // a numeric limit (the prohibit cue refused it)
	// encourage
	{word: "鼓励", effect: admission.EffectEncourage},
	{word: "引导", effect: admission.EffectEncourage},
	{word: "支持", effect: admission.EffectEncourage},
	{word: "优先", effect: admission.EffectEncourage, notBefore: []string{"保护", "控制"}},
	{word: "推广", effect: admission.EffectEncourage},
	{word: "倡导", effect: admission.EffectEncourage},
	{word: "提倡", effect: admission.EffectEncourage},
}

// policyImperatives are the imperatives of policy lists ("加强…监测"):
// obligations, unless the text encourages ("鼓励企业开展清洁生产审核" is
// encouragement, its 开展 the thing encouraged).
var policyImperatives = []string{"加强", "强化", "推进", "开展", "实施", "确保", "健全", "完善"}

// restrictScale is 控制 followed, within the same sentence part, by 规模
// or 强度: "控制开发规模", "控制养殖规模和强度".
const restrictScaleWindow = 20 // runes between 控制 and 规模

// ClassifyEffect reads a clause's effect (admission.Effect…) from its
// wording. Every cue found counts and the strictest wins, so "禁止…，鼓励…"
// is prohibit. The cues, in order of strictness:
//
//   - prohibit: 禁止, 严禁 (严格禁止), 不得, 不予, 不准, 不允许 — except
//     after 原则上 (then restrict), and except 不得 before a quantity
//     (不得低于/高于/超过/少于/大于/小于/突破), which is a limit to meet:
//     require.
//   - restrict: 原则上不…, 严格控制, 从严控制, 严控, 限制 (not 不限制), 限批,
//     不宜, and 控制 followed by 规模 or 强度 within 20 characters of the
//     same sentence part ("控制开发规模").
//   - require: 应当, 必须, 须 (not 无须/毋须/不须/须知), 应 (not in 应急,
//     应用, 应对, 相应, 对应, 供应, 适应, 响应, 效应, 反应, …), 要求, 执行,
//     落实, 遵守; and the imperatives of policy lists (加强, 强化, 推进,
//     开展, 实施, 确保, 健全, 完善) when no other cue is found, so that
//     "鼓励企业开展清洁生产审核" stays encourage.
//   - encourage: 鼓励, 引导, 支持, 优先 (not 优先保护, 优先控制), 推广, 倡导,
//     提倡.
//   - info: none of these (e.g. "执行全市总体管控要求" is require, "本单元
//     为城镇开发边界内区域。" is info).
//
// Full-width and half-width text read the same; the effect is only a
// reading of words, which is why the importer leaves every clause it
// cannot structure to manual review.
func ClassifyEffect(text string) string {
	best := admission.EffectInfo
	take := func(e string) {
		if clauseEffectRank[e] < clauseEffectRank[best] {
			best = e
		}
	}
	for _, cue := range effectCues {
		for i := 0; ; {
			j := strings.Index(text[i:], cue.word)
			if j < 0 {
				break
			}
			at := i + j
			i = at + len(cue.word)
			if clauseHasSuffix(text[:at], cue.notAfter) || clauseHasPrefix(text[i:], cue.notBefore) {
				continue
			}
			if cue.word == "不得" && cue.effect == admission.EffectRequire && !clauseHasPrefix(text[i:], clauseQuantityLimits) {
				continue // a plain 不得 is the prohibit cue's
			}
			take(cue.effect)
		}
	}
	if clauseEffectRank[best] > clauseEffectRank[admission.EffectRestrict] && clauseRestrictsScale(text) {
		best = admission.EffectRestrict
	}
	if best == admission.EffectInfo {
		for _, w := range policyImperatives {
			if strings.Contains(text, w) {
				return admission.EffectRequire
			}
		}
	}
	return best
}

// clauseRestrictsScale finds 控制 … 规模/强度 within one sentence part.
func clauseRestrictsScale(text string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], "控制")
		if j < 0 {
			return false
		}
		i += j + len("控制")
		end, n := len(text), 0
		for k, r := range text[i:] {
			if n >= restrictScaleWindow || strings.ContainsRune("，,。；;！？!?\n", r) {
				end = i + k // byte offsets from range: an invalid byte is one byte, not RuneLen(U+FFFD)
				break
			}
			n++
		}
		if part := text[i:end]; strings.Contains(part, "规模") || strings.Contains(part, "强度") {
			return true
		}
	}
}

func clauseHasSuffix(s string, list []string) bool {
	for _, x := range list {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

func clauseHasPrefix(s string, list []string) bool {
	for _, x := range list {
		if strings.HasPrefix(s, x) {
			return true
		}
	}
	return false
}

// ---- industries ----

// industryKeyword is a word of clause text and the GB/T 4754-2017 code
// prefixes it stands for. Sure words map to codes whose official names
// say the same thing; unsure words are recognised only so that a text
// naming them is not taken for certain (DetectIndustries returns false).
type industryKeyword struct {
	words []string
	codes []string // nil for an unsure word
	why   string
}

// clauseDyeingClasses are the classes of 印染/染整 across the textile groups.
var clauseDyeingClasses = []string{"C1713", "C1723", "C1733", "C1743", "C1752", "C1762"}

// industryKeywords is the whole table; see DetectIndustries. Longer words
// are tried first wherever they start, so "水泥制品" is not read as
// "水泥" and "石油化工" not as "化工".
var industryKeywords = []industryKeyword{
	// Sure: the official name of the code (or its essential part), or an
	// industry term whose classes are named the same way.
	{[]string{"化学原料和化学制品制造业", "化学原料和化学制品制造"}, []string{"C26"}, "大类 C26 化学原料和化学制品制造业"},
	{[]string{"炼铁"}, []string{"C311"}, "中类 C311 炼铁"},
	{[]string{"炼钢"}, []string{"C312"}, "中类 C312 炼钢"},
	{[]string{"钢压延加工"}, []string{"C313"}, "中类 C313 钢压延加工"},
	{[]string{"铁合金冶炼"}, []string{"C314"}, "中类 C314 铁合金冶炼"},
	{[]string{"常用有色金属冶炼"}, []string{"C321"}, "中类 C321 常用有色金属冶炼"},
	{[]string{"贵金属冶炼"}, []string{"C322"}, "中类 C322 贵金属冶炼"},
	{[]string{"稀有稀土金属冶炼"}, []string{"C323"}, "中类 C323 稀有稀土金属冶炼"},
	{[]string{"水泥制造", "水泥"}, []string{"C3011"}, "小类 C3011 水泥制造（水泥制品 C3021 另列，不在此）"},
	{[]string{"平板玻璃制造", "平板玻璃"}, []string{"C3041"}, "小类 C3041 平板玻璃制造"},
	{[]string{"陶瓷制品制造", "陶瓷制品", "陶瓷"}, []string{"C307"}, "中类 C307 陶瓷制品制造（耐火陶瓷 C3089 不在此）"},
	{[]string{"炼焦", "焦化"}, []string{"C2521"}, "小类 C2521 炼焦（焦炭、半焦及副产品）"},
	{[]string{"原油加工及石油制品制造"}, []string{"C2511"}, "小类 C2511 原油加工及石油制品制造"},
	{[]string{"农药制造", "农药"}, []string{"C263"}, "中类 C263 农药制造"},
	{[]string{"纸浆制造", "制浆"}, []string{"C221"}, "中类 C221 纸浆制造"},
	{[]string{"制浆造纸", "造纸"}, []string{"C221", "C222"}, "中类 C221 纸浆制造、C222 造纸：造纸行业含制浆（GB 3544 制浆造纸工业）；纸制品 C223 不在此"},
	{[]string{"纸制品制造", "纸制品"}, []string{"C223"}, "中类 C223 纸制品制造"},
	{[]string{"印染精加工", "印染", "染整"}, clauseDyeingClasses, "小类 C1713 棉印染精加工、C1723 毛染整精加工、C1733 麻染整精加工、C1743 丝印染精加工、C1752 化纤织物染整精加工、C1762 针织或钩针编织物印染精加工"},
	{[]string{"皮革鞣制加工", "皮革鞣制", "制革"}, []string{"C1910"}, "小类 C1910 皮革鞣制加工"},
	{[]string{"毛皮鞣制加工", "毛皮鞣制"}, []string{"C1931"}, "小类 C1931 毛皮鞣制加工"},
	{[]string{"铅蓄电池制造", "铅蓄电池"}, []string{"C3843"}, "小类 C3843 铅蓄电池制造"},
	{[]string{"牲畜屠宰"}, []string{"C1351"}, "小类 C1351 牲畜屠宰"},
	{[]string{"禽类屠宰"}, []string{"C1352"}, "小类 C1352 禽类屠宰"},
	{[]string{"屠宰"}, []string{"C1351", "C1352"}, "小类 C1351 牲畜屠宰、C1352 禽类屠宰"},
	{[]string{"危险化学品仓储"}, []string{"G5942"}, "小类 G5942 危险化学品仓储"},
	{[]string{"水力发电"}, []string{"D4413"}, "小类 D4413 水力发电"},
	{[]string{"煤炭开采和洗选业", "煤炭开采和洗选"}, []string{"B06"}, "大类 B06 煤炭开采和洗选业"},

	// Unsure: the word covers more or less than any set of codes, or its
	// scope is debated.
	{[]string{"化工", "石化", "石油化工", "煤化工", "盐化工", "精细化工", "化工新材料"}, nil, "化工 spans C25, C26, C28 and parts of C27; its scope differs between documents"},
	{[]string{"化学品", "危险化学品", "化学原料"}, nil, "production, storage or use: not one class"},
	{[]string{"钢铁", "钢铁冶炼", "冶金", "冶炼"}, nil, "with or without rolling (C313) and ferroalloys (C314)"},
	{[]string{"有色金属", "有色金属冶炼", "有色"}, nil, "mining (B09), smelting (C321–C323), alloys (C324) or rolling (C325)"},
	{[]string{"电镀"}, nil, "C3360 金属表面处理及热处理加工 is wider (heat treatment, painting); plating lines also sit in other classes"},
	{[]string{"水泥熟料", "水泥粉磨"}, nil, "a part of C3011 水泥制造"},
	{[]string{"火电", "火力发电", "燃煤发电", "燃煤电厂", "煤电"}, nil, "D4411 火力发电 without or with D4412 热电联产"},
	{[]string{"水电", "小水电", "水电站"}, nil, "a size class of D4413"},
	{[]string{"畜禽养殖", "规模化畜禽养殖", "畜禽", "养殖", "畜牧"}, nil, "A031/A032 with or without A039; 养殖 also A04; often limited by size"},
	{[]string{"医药", "制药", "原料药", "化学原料药"}, nil, "parts of C27"},
	{[]string{"建材", "新型建材", "砖瓦", "玻璃", "石材"}, nil, "parts of C30"},
	{[]string{"重污染", "高污染", "两高", "高耗能", "高排放", "重化工"}, nil, "policy categories, not classes"},
	{[]string{"采矿", "矿产资源开发", "矿产资源", "矿山", "开采", "煤矿", "非煤矿山"}, nil, "parts of section B"},
	{[]string{"电池", "蓄电池"}, nil, "C384 by chemistry"},
	{[]string{"炼油", "石油炼制"}, nil, "C2511 also covers 石油制品制造"},
	{[]string{"纺织"}, nil, "C17 with or without dyeing"},
	{[]string{"危险废物", "固体废物", "垃圾", "填埋", "焚烧"}, nil, "storage, treatment or producer"},
}

// industryKeywordEntry is one word of the table.
type industryKeywordEntry struct {
	word string
	kw   *industryKeyword
}

// industryKeywordsByRune lists every word under its first rune, longest
// first.
var industryKeywordsByRune = func() map[rune][]industryKeywordEntry {
	out := map[rune][]industryKeywordEntry{}
	for i := range industryKeywords {
		for _, w := range industryKeywords[i].words {
			r, _ := utf8.DecodeRuneInString(w)
			out[r] = append(out[r], industryKeywordEntry{w, &industryKeywords[i]})
		}
	}
	for _, es := range out {
		slices.SortStableFunc(es, func(a, b industryKeywordEntry) int { return len(b.word) - len(a.word) })
	}
	return out
}()

// industryKeywordAt returns the longest table word at the start of s.
func industryKeywordAt(s string) (industryKeywordEntry, bool) {
	r, _ := utf8.DecodeRuneInString(s)
	for _, e := range industryKeywordsByRune[r] {
		if strings.HasPrefix(s, e.word) {
			return e, true
		}
	}
	return industryKeywordEntry{}, false
}

// Contexts that may surround an industry word of a list of industries.
var (
	// industryBefore: an industry word may follow these.
	industryBefore = []string{"新建", "改建", "扩建", "迁建", "建设", "禁止", "严禁", "不得", "不予", "限制", "控制",
		"发展", "引进", "涉及", "布局", "新增", "现有", "已有", "鼓励", "支持", "引导", "淘汰", "退出", "搬迁", "的", "和", "及", "或", "与"}
	// industrySuffixes: an industry word may be followed by these.
	industrySuffixes = []string{"建设项目", "生产项目", "工业项目", "类项目", "项目", "生产企业", "企业", "行业", "产业", "工业", "生产", "类", "厂", "场", "和", "及", "或", "与", "等"}
	// clauseExclusionCues mean the text carves industries out: not handled.
	clauseExclusionCues = []string{"除外", "以外", "之外", "不含", "不包括"}
	// clauseRemovals end in 除 without carving anything out (拆除, 消除, …).
	clauseRemovals = []string{"去", "消", "拆", "清", "排", "解", "免", "删", "剔", "革", "根", "铲", "破", "扣", "废"}
)

func isClauseListPunct(r rune) bool {
	return isClauseTrim(r) || unicode.IsPunct(r)
}

// DetectIndustries recognises the industries a clause names, using a small
// table of words whose GB/T 4754-2017 codes are certain (see
// industryKeywords in this file: 造纸 → C221, C222; 印染 → the six
// dyeing classes; 水泥 → C3011; 炼钢 → C312; …). It reports false, with
// a nil filter, unless all of these hold:
//
//   - at least one word of the table is found, reading longest words
//     first;
//   - every word found is a sure one: words such as 化工, 钢铁, 电镀,
//     有色金属, 火电, 小水电, 畜禽养殖, 重污染 are recognised as unsure and
//     make the answer false;
//   - every word stands as an industry in a list: preceded by the start of
//     the text, punctuation, a conjunction (和/及/或/与) or a verb such as
//     新建, 禁止, 限制, 现有; followed by the end, punctuation, a
//     conjunction, 等, or 项目/企业/行业/产业/工业/生产/类/厂/场. So
//     "水泥制品", "化工园区", "造纸专用设备", "非造纸" and "违规造纸" make the
//     answer false;
//   - the text carves nothing out (除…外, 以外, 之外, 不含, 不包括);
//   - every code exists in ind (a nil ind gives false).
//
// The filter's Include lists the codes in the order the words appear,
// without repeats. A true answer says which industries the text names; it
// does not say that the text names no other industry the table lacks:
// the importer only trusts a clause whose whole text it has parsed.
func DetectIndustries(text string, ind *admission.Industries) (*admission.IndustryFilter, bool) {
	if ind == nil || clauseCarvesOut(text) {
		return nil, false
	}
	var codes []string
	found := false
	for i := 0; i < len(text); {
		e, ok := industryKeywordAt(text[i:])
		if !ok {
			_, n := utf8.DecodeRuneInString(text[i:])
			i += n
			continue
		}
		found = true
		if e.kw.codes == nil || !industryWordStands(text, i, i+len(e.word)) {
			return nil, false
		}
		for _, c := range e.kw.codes {
			if _, ok := ind.Lookup(c); !ok {
				return nil, false
			}
			if !slices.Contains(codes, c) {
				codes = append(codes, c)
			}
		}
		i += len(e.word)
	}
	if !found {
		return nil, false
	}
	return &admission.IndustryFilter{Include: codes}, true
}

// clauseCarvesOut finds 除…外, 以外, 之外, 不含, 不包括, or a 除 that is not part of
// 拆除, 消除 and the like.
func clauseCarvesOut(text string) bool {
	for _, x := range clauseExclusionCues {
		if strings.Contains(text, x) {
			return true
		}
	}
	for i := 0; ; {
		j := strings.Index(text[i:], "除")
		if j < 0 {
			return false
		}
		if !clauseHasSuffix(text[:i+j], clauseRemovals) {
			return true
		}
		i += j + len("除")
	}
}

// industryWordStands checks the context of the word text[start:end].
func industryWordStands(text string, start, end int) bool {
	before, after := text[:start], text[end:]
	if r, _ := utf8.DecodeLastRuneInString(before); before != "" && !isClauseListPunct(r) && !clauseHasSuffix(before, industryBefore) {
		return false
	}
	if r, _ := utf8.DecodeRuneInString(after); after != "" && !isClauseListPunct(r) && !clauseHasPrefix(after, industrySuffixes) {
		return false
	}
	return true
}

// ---- machine-readable clauses ----

// Parts of the one sentence shape the importer structures.
var (
	// machineScopes may open the sentence: they name the clause's own
	// scope.
	machineScopes = []string{"本单元范围内", "本单元内", "本单元", "单元内", "本区域内", "区域内", "辖区内", "全市范围内", "全市", "全区", "全县", "本区", "本县", "本市"}
	// machineVerbs are the verbs of prohibit and restrict clauses.
	machineVerbs = []struct{ word, effect string }{
		{"严格禁止", admission.EffectProhibit}, {"禁止", admission.EffectProhibit}, {"严禁", admission.EffectProhibit}, {"不得", admission.EffectProhibit},
		{"严格限制", admission.EffectRestrict}, {"限制", admission.EffectRestrict}, {"严格控制", admission.EffectRestrict},
	}
	// machineBuilds are the construction words, longest first, and the
	// construction types they mean (nil: every type).
	machineBuilds = []struct {
		word  string
		types []string
	}{
		{"新改扩建", []string{"新建", "改建", "扩建"}}, {"改扩建", []string{"改建", "扩建"}},
		{"新建", []string{"新建"}}, {"改建", []string{"改建"}}, {"扩建", []string{"扩建"}}, {"迁建", []string{"迁建"}},
		{"建设", nil},
	}
	machineJoins = []string{"以及", "、", "和", "及", "或", "与"}
	// machineSuffixes may follow an industry word.
	machineSuffixes = []string{"建设项目", "生产项目", "工业项目", "类项目", "项目", "生产企业", "企业", "行业", "产业", "厂", "场"}
)

// machineClause decides whether a clause can be judged by machine, and
// with which industries and construction types. Only one shape is
// accepted, the whole text being one sentence (a final 。；; allowed):
//
//	[本单元内|区域内|全市|…] 禁止|严禁|严格禁止|不得|限制|严格限制|严格控制
//	[新建|改建|扩建|迁建|改扩建|新改扩建|建设, joined by 、和及或与]
//	industry [项目|企业|行业|产业|…] {、|和|及|或|与|以及 industry [项目|…]}
//
// where every industry is a sure word of the keyword table and the verb's
// effect is the text's effect (ClassifyEffect). "等", places, distances,
// sizes, conditions, exceptions, commas and any other word make it false:
// such a clause is kept as free text for manual review. Construction words
// limit the clause to those types; none, or 建设, means every type.
func machineClause(text, effect string, ind *admission.Industries) (*admission.IndustryFilter, []string, bool) {
	if effect != admission.EffectProhibit && effect != admission.EffectRestrict {
		return nil, nil, false
	}
	s := strings.TrimFunc(text, isClauseTrim)
	if r, n := utf8.DecodeLastRuneInString(s); r == '。' || r == '；' || r == ';' || r == '.' {
		s = s[:len(s)-n]
	}
	filter, ok := DetectIndustries(s, ind)
	if !ok {
		return nil, nil, false
	}
	s = clauseTrimPrefix(s, machineScopes)
	verbOK := false
	for _, v := range machineVerbs {
		if strings.HasPrefix(s, v.word) {
			if v.effect != effect {
				return nil, nil, false
			}
			s, verbOK = s[len(v.word):], true
			break
		}
	}
	if !verbOK {
		return nil, nil, false
	}
	// construction words
	var types []string
	all := false
	for first := true; ; first = false {
		rest := s
		if !first {
			var joined bool
			if rest, joined = clauseCutPrefix(rest, machineJoins); !joined {
				break
			}
		}
		matched := false
		for _, b := range machineBuilds {
			if strings.HasPrefix(rest, b.word) {
				if b.types == nil {
					all = true
				}
				types = append(types, b.types...)
				s, matched = rest[len(b.word):], true
				break
			}
		}
		if !matched {
			break
		}
	}
	if all && len(types) > 0 { // "新建和建设": not a shape we read
		return nil, nil, false
	}
	// industries
	var codes []string
	for first := true; ; first = false {
		if !first {
			var joined bool
			if s, joined = clauseCutPrefix(s, machineJoins); !joined {
				return nil, nil, false
			}
		}
		e, ok := industryKeywordAt(s)
		if !ok || e.kw.codes == nil {
			return nil, nil, false
		}
		for _, c := range e.kw.codes {
			if !slices.Contains(codes, c) {
				codes = append(codes, c)
			}
		}
		s = clauseTrimPrefix(s[len(e.word):], machineSuffixes)
		if s == "" {
			break
		}
	}
	if !slices.Equal(codes, filter.Include) {
		return nil, nil, false // cannot happen: the same table read twice
	}
	var cons []string
	for _, t := range admission.ConstructionTypes {
		if slices.Contains(types, t) {
			cons = append(cons, t)
		}
	}
	return filter, cons, true
}

func clauseTrimPrefix(s string, list []string) string {
	s, _ = clauseCutPrefix(s, list)
	return s
}

// clauseCutPrefix removes the first prefix of list that s has.
func clauseCutPrefix(s string, list []string) (string, bool) {
	for _, p := range list {
		if strings.HasPrefix(s, p) {
			return s[len(p):], true
		}
	}
	return s, false
}
