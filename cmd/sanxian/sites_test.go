package main

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/web"
)

func TestSiteParser(t *testing.T) {
	var p siteParser
	g, err := p.ParseText("106°33'12.5\"E 29°33'36\"N", "auto", crs.CGCS2000)
	if err != nil {
		t.Fatal(err)
	}
	if pt, ok := g.(orb.Point); !ok || math.Abs(pt[1]-29.56) > 1e-9 {
		t.Errorf("got %v, want a point at latitude 29.56", g)
	}
	if g, err := p.ParseText("POINT(106.5 29.5)", "auto", crs.CGCS2000); err != nil || g != (orb.Point{106.5, 29.5}) {
		t.Errorf("wkt: got %v, %v", g, err)
	}
	tests := []struct {
		name, file, text, code, reason string
	}{
		{"bad line", "", "106.5,29.5\nx,y", web.CodeMalformedSite, "malformed_coordinates"},
		{"unsupported file", "a.dwg", "", web.CodeMalformedSite, "unsupported_file"},
		{"not a zip", "a.zip", "", web.CodeMalformedSite, "malformed_file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.file != "" {
				_, err = p.ParseFile(tt.file, []byte("not a zip"), crs.CGCS2000)
			} else {
				_, err = p.ParseText(tt.text, "auto", crs.CGCS2000)
			}
			var e *web.Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want *web.Error", err)
			}
			if e.Code != tt.code || e.Details["reason"] != tt.reason {
				t.Errorf("got %s/%v, want %s/%s", e.Code, e.Details["reason"], tt.code, tt.reason)
			}
		})
	}
}
