package main

import (
	"errors"

	"github.com/paulmach/orb"

	"github.com/sanxian/sanxian/crs"
	"github.com/sanxian/sanxian/data"
	"github.com/sanxian/sanxian/web"
)

// siteParser is the web.SiteParser of the service: data.ParseSiteFile and
// data.ParseCoordinateText, with their errors turned into API errors.
type siteParser struct{}

func (siteParser) ParseFile(name string, b []byte, c crs.CRS) (orb.Geometry, error) {
	g, err := data.ParseSiteFileIn(name, b, c)
	return g, siteError(err)
}

func (siteParser) ParseText(text, kind string, c crs.CRS) (orb.Geometry, error) {
	g, err := data.ParseCoordinateTextIn(text, kind, c)
	if errors.Is(err, data.ErrWKT) {
		g, err := web.ParseWKT(text)
		if err != nil {
			return nil, err
		}
		g, _, err = web.ToCGCS2000(g, c.Name)
		return g, err
	}
	return g, siteError(err)
}

// siteCodes maps data.SiteFileError codes to API error codes; codes not
// listed are malformed_site (400). This is the only place they meet.
var siteCodes = map[string]string{
	data.CodeTooLarge:       web.CodeSiteTooLarge,
	data.CodeProjectedCRS:   web.CodeUnsupportedCRS,
	data.CodeUnsupportedCRS: web.CodeUnsupportedCRS,
}

func siteError(err error) error {
	var se *data.SiteFileError
	if !errors.As(err, &se) {
		return err
	}
	code, ok := siteCodes[se.Code]
	if !ok {
		code = web.CodeMalformedSite
	}
	return web.SiteInputError(code, se.Code, se.Message, se.Line)
}
