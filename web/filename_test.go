package web

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sanxian/sanxian/internal/sampletest"
)

func TestSafeFileName(t *testing.T) {
	long := strings.Repeat("项", 996) + ".csv" // 1,000 characters
	cases := []struct{ in, want string }{
		{"清单.xlsx", "清单.xlsx"},
		{"../../etc/passwd", "passwd"},
		{`C:\x\清单.xlsx`, "清单.xlsx"},
		{`..\..\windows\win.ini`, "win.ini"},
		{"a\u202Egpj.exe", "agpj.exe"},
		{"\u2066名单\u2069\u200b\ufeff.csv", "名单.csv"},
		{"list\r\nSet-Cookie: x=1.csv", "listSet-Cookie: x=1.csv"},
		{"a\x00b\x1b[31mc.csv", "ab[31mc.csv"},
		{"a\xffb.csv", "ab.csv"},
		{"  名单 .csv  ", "名单 .csv"},
		{"..", ""},
		{"dir/.", ""},
		{"/", ""},
		{"line\u2028break.csv", "linebreak.csv"},
		{long, strings.Repeat("项", 96) + ".csv"},
		{strings.Repeat("x", 200) + ".averyveryverylongextension", strings.Repeat("x", 100)},
	}
	for _, tc := range cases {
		got := SafeFileName(tc.in)
		assert.Equal(t, tc.want, got, "SafeFileName(%q)", tc.in)
		assert.LessOrEqual(t, utf8.RuneCountInString(got), MaxFileNameRunes)
		assert.True(t, utf8.ValidString(got))
	}
}

// postRawList uploads content under a file name written into the part
// header as is (mime/multipart would escape it), with extra form fields.
func postRawList(t *testing.T, url, fileName string, content []byte, fields map[string]string) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		require.NoError(t, mw.WriteField(k, v))
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+fileName+`"`)
	h.Set("Content-Type", "text/csv")
	fw, err := mw.CreatePart(h)
	require.NoError(t, err)
	_, err = fw.Write(content)
	require.NoError(t, err)
	return postForm(t, url, mw, &buf)
}

// Uploaded names are stored and echoed sanitised: the job's file_name and
// default name, the result's Content-Disposition (no header injection
// from the name field), and the site parser's source.
func TestUploadedNamesSanitised(t *testing.T) {
	env := newBatchEnv(t, sampletest.Dataset(t), true, Config{}, fakeFiles{})
	cases := []struct {
		name, sent, file, jobName string
		fields                    map[string]string
	}{
		{"windows path", `C:\x\清单.csv`, "清单.csv", "清单", nil},
		{"unix traversal", "../../etc/passwd.csv", "passwd.csv", "passwd", nil},
		{"bidi override", "a\u202Evsc.exe.csv", "avsc.exe.csv", "avsc.exe", nil},
		{"1,000 characters", strings.Repeat("名", 996) + ".csv", strings.Repeat("名", 96) + ".csv", strings.Repeat("名", 96), nil},
		{"header injection in the job name", "list.csv", "list.csv", "项目X-Evil: 1",
			map[string]string{"name": "项目\r\nX-Evil: 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := postRawList(t, env.ts.URL+"/api/v1/batches", tc.sent, []byte(sampleList), tc.fields)
			require.Equal(t, http.StatusAccepted, r.Status, "body %s", r.Body)
			j := decodeJob(t, r)
			assert.Equal(t, tc.file, j.FileName)
			assert.Equal(t, tc.jobName, j.Name)
			j = waitFinished(t, env.ts.URL, j.ID)
			d := do(t, "GET", env.ts.URL+j.Links["result_csv"], "")
			require.Equal(t, http.StatusOK, d.Status)
			cd := d.Header.Get("Content-Disposition")
			assert.NotContains(t, cd, "\r")
			assert.NotContains(t, cd, "\n")
			assert.NotContains(t, cd, "\u202E")
			assert.Empty(t, d.Header.Get("X-Evil"))
			assert.True(t, strings.HasPrefix(cd, `attachment; filename="`), cd)
		})
	}
	t.Run("a name with nothing left", func(t *testing.T) {
		r := postRawList(t, env.ts.URL+"/api/v1/batches", "..", []byte(sampleList), nil)
		require.Equal(t, http.StatusBadRequest, r.Status, "body %s", r.Body)
		assert.Equal(t, CodeMissingFile, errorOf(t, r).Code)
	})

	// The site parser: the name picks the parser (by extension) and is
	// never echoed beyond a known extension.
	ts := newTestServer(t, New(staticSource{testDataset(t)}, Config{}, testLogger(t)))
	for sent, source := range map[string]string{
		`C:\桌面\场址.geojson`:        "geojson",
		"../../x/site.wkt":        "wkt",
		"a\u202Enosjoeg.wkt":      "wkt",
		"site.<img src=x>":        "",
		"site.wkt\r\nX-Evil: yes": "",
	} {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="file"; filename="`+sent+`"`)
		fw, err := mw.CreatePart(h)
		require.NoError(t, err)
		body := "POINT(106.55 29.56)"
		if strings.HasSuffix(sent, ".geojson") {
			body = `{"type":"Point","coordinates":[106.55,29.56]}`
		}
		_, _ = fw.Write([]byte(body))
		require.NoError(t, mw.Close())
		res, err := http.Post(ts.URL+"/api/v1/sites/parse", mw.FormDataContentType(), &buf)
		require.NoError(t, err)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if source == "" {
			require.NotEqual(t, http.StatusOK, res.StatusCode, "%q: %s", sent, b)
			assert.NotContains(t, string(b), "<img", "%q", sent)
			assert.Empty(t, res.Header.Get("X-Evil"))
			continue
		}
		require.Equal(t, http.StatusOK, res.StatusCode, "%q: %s", sent, b)
		var ps struct{ Source string }
		require.NoError(t, json.Unmarshal(b, &ps))
		assert.Equal(t, source, ps.Source, "%q", sent)
	}
}
