package web

import (
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxFileNameRunes is the longest uploaded file name kept, in characters.
const MaxFileNameRunes = 100

// SafeFileName is an uploaded file's name made safe to store, log, echo
// in JSON and in a Content-Disposition header: the last element of a
// Unix or Windows path ("../../etc/passwd" → "passwd", `C:\x\清单.xlsx` →
// "清单.xlsx"), without control characters, invisible format characters
// (bidi overrides and isolates such as U+202E, zero-width characters,
// BOM), line or paragraph separators and invalid UTF-8; spaces are
// trimmed, "." and ".." give "", and a name longer than
// MaxFileNameRunes characters is cut, keeping its extension (up to 16
// characters). Chinese and other letters are kept.
func SafeFileName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(stripInvisible(name))
	if name == "." || name == ".." {
		return ""
	}
	if utf8.RuneCountInString(name) <= MaxFileNameRunes {
		return name
	}
	ext := path.Ext(name)
	if utf8.RuneCountInString(ext) > 16 {
		ext = ""
	}
	stem := []rune(strings.TrimSuffix(name, ext))
	return strings.TrimSpace(string(stem[:MaxFileNameRunes-utf8.RuneCountInString(ext)])) + ext
}

// stripInvisible drops control characters, format characters (bidi
// overrides and isolates, zero-width characters, BOM), line and paragraph
// separators and invalid UTF-8 from s: what could reorder, hide or break
// a name when it is shown, logged or put in a header.
func stripInvisible(s string) string {
	var b strings.Builder
	for i, w := 0, 0; i < len(s); i += w {
		r, size := utf8.DecodeRuneInString(s[i:])
		w = size
		if r == utf8.RuneError && size <= 1 {
			continue // invalid UTF-8
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Zl, r) || unicode.Is(unicode.Zp, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
