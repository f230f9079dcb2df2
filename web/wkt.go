package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkt"

	"github.com/sanxian/sanxian/geo"
)

// ParseWKT parses a WKT geometry (POINT, MULTIPOINT, LINESTRING,
// MULTILINESTRING, POLYGON, MULTIPOLYGON; case-insensitive; an EWKT prefix
// "SRID=4490;" or "SRID=4326;" is accepted). It checks the text itself
// first, because the WKT library only says "invalid data": a problem gives
// a *Error with code malformed_geometry whose message names the place in
// Chinese (which ring, which coordinate) and whose details carry the
// character offset ("offset", 0-based, in characters) and the ring and
// coordinate indexes. Only two-dimensional coordinates are accepted. A
// GEOMETRYCOLLECTION or an empty POINT gives a *geo.GeometryError
// (unsupported_geometry_type, empty_geometry). Other EMPTY geometries
// parse to empty values that geo.ValidateSite rejects.
func ParseWKT(s string) (orb.Geometry, error) {
	p := &wktParser{src: s}
	if err := p.lex(); err != nil {
		return nil, err
	}
	canon, err := p.geometry()
	if err != nil {
		return nil, err
	}
	if canon == "" { // POINT EMPTY
		return nil, &geo.GeometryError{Code: geo.CodeEmpty, Message: "几何为空（POINT EMPTY）。"}
	}
	g, err := wkt.Unmarshal(canon)
	if err != nil {
		return nil, newError(CodeMalformedGeometry, "WKT 无法解析："+err.Error(), nil)
	}
	return g, nil
}

type wktToken struct {
	kind byte   // 'w' word, 'n' number, '(' ')' ',' ';' '='
	text string // upper-cased for words
	raw  string // as written
	pos  int    // offset in characters
}

type wktParser struct {
	src  string
	toks []wktToken
	i    int
	out  strings.Builder // canonical WKT for the library
}

func (p *wktParser) lex() error {
	if strings.TrimSpace(p.src) == "" {
		return newError(CodeMalformedGeometry, "WKT 为空。", nil)
	}
	pos := 0
	for i := 0; i < len(p.src); {
		r, size := utf8.DecodeRuneInString(p.src[i:])
		switch {
		case unicode.IsSpace(r):
			i += size
			pos++
		case strings.ContainsRune("(),;=", r):
			p.toks = append(p.toks, wktToken{kind: byte(r), text: string(r), raw: string(r), pos: pos})
			i += size
			pos++
		case r == '-' || r == '+' || r == '.' || (r >= '0' && r <= '9'):
			j := i + 1
			// Take letters too, so that "4x" is one bad number.
			for j < len(p.src) && p.src[j] < utf8.RuneSelf && (strings.IndexByte(".+-_", p.src[j]) >= 0 || unicode.IsLetter(rune(p.src[j])) || unicode.IsDigit(rune(p.src[j]))) {
				j++
			}
			p.toks = append(p.toks, wktToken{kind: 'n', text: p.src[i:j], raw: p.src[i:j], pos: pos})
			pos += j - i
			i = j
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || r == '_'):
			j := i + 1
			for j < len(p.src) && p.src[j] < utf8.RuneSelf && (unicode.IsLetter(rune(p.src[j])) || unicode.IsDigit(rune(p.src[j])) || p.src[j] == '_') {
				j++
			}
			p.toks = append(p.toks, wktToken{kind: 'w', text: strings.ToUpper(p.src[i:j]), raw: p.src[i:j], pos: pos})
			pos += j - i
			i = j
		default:
			return p.errAt(pos, fmt.Sprintf("WKT 第 %d 个字符 %q 无法识别（中文逗号、括号等全角符号请改为半角）。", pos+1, r), nil)
		}
	}
	return nil
}

func (p *wktParser) errAt(pos int, msg string, extra map[string]any) *Error {
	d := map[string]any{"offset": pos}
	for k, v := range extra {
		d[k] = v
	}
	return newError(CodeMalformedGeometry, msg, d)
}

func (p *wktParser) peek() *wktToken {
	if p.i < len(p.toks) {
		return &p.toks[p.i]
	}
	return nil
}

// where describes the current position for messages.
func (p *wktParser) where() int {
	if t := p.peek(); t != nil {
		return t.pos
	}
	return utf8.RuneCountInString(p.src)
}

func (p *wktParser) found() string {
	t := p.peek()
	if t == nil {
		return "文本已结束"
	}
	return fmt.Sprintf("遇到 %q", t.raw)
}

func (p *wktParser) expect(kind byte, ctx string) error {
	t := p.peek()
	if t == nil || t.kind != kind {
		return p.errAt(p.where(), fmt.Sprintf("WKT %s处应为 %q，但%s（第 %d 个字符）。", spaced(ctx), string(kind), p.found(), p.where()+1), nil)
	}
	p.i++
	p.out.WriteByte(kind)
	return nil
}

func (p *wktParser) geometry() (string, error) {
	// Optional EWKT prefix SRID=nnnn;
	if t := p.peek(); t != nil && t.kind == 'w' && t.text == "SRID" {
		if p.i+3 >= len(p.toks) || p.toks[p.i+1].kind != '=' || p.toks[p.i+2].kind != 'n' || p.toks[p.i+3].kind != ';' {
			return "", p.errAt(t.pos, "EWKT 前缀应写作 SRID=4490; 后接几何。", nil)
		}
		srid := p.toks[p.i+2].text
		if srid != "4490" && srid != "4326" {
			return "", p.errAt(p.toks[p.i+2].pos, fmt.Sprintf("不支持 SRID=%s：请使用 CGCS2000 经纬度坐标（SRID=4490）。", srid), map[string]any{"srid": srid})
		}
		p.i += 4
	}
	t := p.peek()
	if t == nil || t.kind != 'w' {
		return "", p.errAt(p.where(), fmt.Sprintf("WKT 应以几何类型开头（%s），但%s。", wktTypes, p.found()), nil)
	}
	typ := t.text
	p.i++
	if typ == "GEOMETRYCOLLECTION" {
		return "", &geo.GeometryError{Code: geo.CodeUnsupportedType, Message: "不支持 GEOMETRYCOLLECTION：请改用单一类型的几何（如 MULTIPOLYGON）。"}
	}
	if !strings.Contains(" "+wktTypes+" ", " "+typ+" ") {
		return "", p.errAt(t.pos, fmt.Sprintf("未知的 WKT 几何类型 %q；支持：%s。", t.raw, wktTypes), map[string]any{"type": typ})
	}
	if n := p.peek(); n != nil && n.kind == 'w' && (n.text == "Z" || n.text == "M" || n.text == "ZM") {
		return "", p.errAt(n.pos, fmt.Sprintf("仅支持二维坐标，不支持 %s %s。", typ, n.text), nil)
	}
	if n := p.peek(); n != nil && n.kind == 'w' && n.text == "EMPTY" {
		p.i++
		if err := p.end(); err != nil {
			return "", err
		}
		if typ == "POINT" {
			return "", nil
		}
		return typ + " EMPTY", nil
	}
	p.out.WriteString(typ)
	var err error
	switch typ {
	case "POINT":
		err = p.wrapped(func() error { return p.position("坐标", nil) }, "POINT 的坐标")
	case "MULTIPOINT":
		err = p.list("MULTIPOINT", "个点", func(i int) error {
			where := fmt.Sprintf("第 %d 个点", i+1)
			if t := p.peek(); t != nil && t.kind == '(' {
				return p.wrapped(func() error { return p.position(where, []int{i}) }, where)
			}
			// Bare "x y" inside MULTIPOINT: canonicalise to "(x y)".
			p.out.WriteByte('(')
			if err := p.position(where, []int{i}); err != nil {
				return err
			}
			p.out.WriteByte(')')
			return nil
		})
	case "LINESTRING":
		err = p.positions("LINESTRING", "", nil)
	case "MULTILINESTRING":
		err = p.list("MULTILINESTRING", "条线", func(i int) error {
			return p.positions(fmt.Sprintf("第 %d 条线", i+1), fmt.Sprintf("第 %d 条线的", i+1), []int{i})
		})
	case "POLYGON":
		err = p.list("POLYGON", "个环", func(i int) error {
			r := ringCN(i)
			return p.positions(r, r+"的", []int{i})
		})
	case "MULTIPOLYGON":
		err = p.list("MULTIPOLYGON", "个多边形", func(k int) error {
			return p.list(fmt.Sprintf("第 %d 个多边形", k+1), "个环", func(i int) error {
				r := fmt.Sprintf("第 %d 个多边形的%s", k+1, ringCN(i))
				return p.positions(r, r+"的", []int{k, i})
			})
		})
	}
	if err != nil {
		return "", err
	}
	if err := p.end(); err != nil {
		return "", err
	}
	return p.out.String(), nil
}

// spaced puts a space between a Latin word and the Chinese that follows.
func spaced(ctx string) string {
	for i, r := range ctx {
		if r >= utf8.RuneSelf {
			if i > 0 && ctx[i-1] < utf8.RuneSelf && unicode.IsLetter(rune(ctx[i-1])) {
				return ctx[:i] + " " + ctx[i:]
			}
			return ctx
		}
	}
	return ctx
}

const wktTypes = "POINT MULTIPOINT LINESTRING MULTILINESTRING POLYGON MULTIPOLYGON"

func ringCN(i int) string {
	if i == 0 {
		return "第 1 个环（外环）"
	}
	return fmt.Sprintf("第 %d 个环（第 %d 个内环）", i+1, i)
}

func (p *wktParser) end() error {
	if t := p.peek(); t != nil {
		return p.errAt(t.pos, fmt.Sprintf("WKT 在第 %d 个字符处有多余内容 %q（括号是否多了？）。", t.pos+1, t.raw), nil)
	}
	return nil
}

// wrapped parses "(" inner ")".
func (p *wktParser) wrapped(inner func() error, ctx string) error {
	if err := p.expect('(', ctx+"开头"); err != nil {
		return err
	}
	if err := inner(); err != nil {
		return err
	}
	return p.expect(')', ctx+"结尾")
}

// list parses "(" item {"," item} ")"; unit names the items in messages
// ("个坐标", "个环").
func (p *wktParser) list(ctx, unit string, item func(i int) error) error {
	if err := p.expect('(', ctx+"开头"); err != nil {
		return err
	}
	for i := 0; ; i++ {
		if err := item(i); err != nil {
			return err
		}
		t := p.peek()
		switch {
		case t != nil && t.kind == ',':
			p.i++
			p.out.WriteByte(',')
			continue
		case t != nil && t.kind == ')':
			p.i++
			p.out.WriteByte(')')
			return nil
		}
		return p.errAt(p.where(), fmt.Sprintf("WKT %s第 %d %s之后应为 \",\" 或 \")\"，但%s（第 %d 个字符）。", spaced(ctx+"的"), i+1, unit, p.found(), p.where()+1), nil)
	}
}

// positions parses "(" x y {"," x y} ")"; prefix names the container in
// messages about one coordinate.
func (p *wktParser) positions(ctx, prefix string, idx []int) error {
	if ctx == "" {
		ctx = "LINESTRING"
	}
	return p.list(ctx, "个坐标", func(i int) error {
		return p.position(fmt.Sprintf("%s第 %d 个坐标", prefix, i+1), append(append([]int{}, idx...), i))
	})
}

func (p *wktParser) position(where string, idx []int) error {
	details := func() map[string]any {
		if idx == nil {
			return nil
		}
		return map[string]any{"index": idx}
	}
	for k := 0; k < 2; k++ {
		t := p.peek()
		name := [...]string{"经度（x）", "纬度（y）"}[k]
		if t == nil || t.kind != 'n' {
			return p.errAt(p.where(), fmt.Sprintf("WKT %s的%s应为数字，但%s（第 %d 个字符）。", where, name, p.found(), p.where()+1), details())
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return p.errAt(t.pos, fmt.Sprintf("WKT %s的%s %q 不是有效数字（第 %d 个字符）。", where, name, t.raw, t.pos+1), details())
		}
		p.i++
		if k == 1 {
			p.out.WriteByte(' ')
		}
		p.out.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
	}
	if t := p.peek(); t != nil && t.kind == 'n' {
		return p.errAt(t.pos, fmt.Sprintf("WKT %s有多于 2 个数值：仅支持二维坐标（经度 纬度）（第 %d 个字符）。", where, t.pos+1), details())
	}
	return nil
}
