package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

// The fuzz targets of the API's parsers of outside input: JSON bodies (bindJSON), multipart
// uploads (UploadForm), dates (DateInput, Date, formDate) and download names
// (ContentDisposition). `make test` runs their seeds (below and in testdata/fuzz) as ordinary
// tests; `make fuzz` fuzzes each for FUZZTIME.

// fuzzBody is a request body of the usual shape: text, numbers, a list, a date, a nested object.
type fuzzBody struct {
	Name  string             `json:"name"`
	N     int                `json:"n"`
	IDs   []int64            `json:"ids"`
	Due   Date               `json:"due"`
	OK    *bool              `json:"ok"`
	Inner *struct{ X uint8 } `json:"inner"`
}

func fuzzContext(method, contentType string, body []byte) (*gin.Context, *httptest.ResponseRecorder) {
	gin.SetMode(gin.TestMode)
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest(method, "/", bytes.NewReader(body))
	if contentType != "" {
		c.Request.Header.Set("Content-Type", contentType)
	}
	return c, w
}

// recorded is the error a handler recorded, which must be a field error or 413, with a message.
func recorded(t *testing.T, c *gin.Context, what string) *core.Error {
	t.Helper()
	if len(c.Errors) == 0 {
		t.Fatalf("%s refused without an error", what)
	}
	var e *core.Error
	if !errors.As(c.Errors.Last().Err, &e) || (e.Code != core.EINVALID && e.Code != core.ETOOLARGE) || e.Message == "" {
		t.Fatalf("%s: error %v, want a field error or too large, with a message", what, c.Errors.Last().Err)
	}
	return e
}

// bindJSON accepts a body exactly when it is one JSON value of the documented shape sent as
// application/json (the standard library, strictly, is the oracle); what it accepts survives a
// round trip; what it refuses gets a 422 or 413 that says why, never a panic or a 500.
func FuzzBindJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"x","n":1,"ids":[1,2],"due":"2026-03-31","ok":true,"inner":{"X":7}}`,
		`{"name":"x"} xyz`, `{"name":"x"}{"name":"y"}`, `{"nmae":"x"}`, `{"n":"1"}`, `{"due":"31/03/2026"}`, `{"due":null}`,
		`{"due":""}`, `{"inner":{"X":256}}`, `[]`, `null`, ``, ` `, `{"name":"\ud800"}`, `{"ids":[1e3]}`, `{"n":1}  `, `{"n":1}
`, `{"name":"x","name":"y"}`, `{"NAME":"x"}`, "\xef\xbb\xbf{}", `{"due":"2026-02-30"}`} {
		f.Add("application/json", []byte(s))
	}
	f.Add("application/json; charset=utf-8", []byte(`{"n":2}`))
	f.Add("text/plain", []byte(`{"n":2}`))
	f.Add("", []byte(`{"n":2}`))
	f.Add("application/json; x", []byte(`{"n":2}`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		c, w := fuzzContext(http.MethodPost, contentType, body)
		var got fuzzBody
		ok := bindJSON(c, &got)

		var want fuzzBody
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		err := dec.Decode(&want)
		if err == nil {
			if _, terr := dec.Token(); terr != io.EOF {
				err = errors.New("trailing data")
			}
		}
		jsonType := strings.HasPrefix(strings.ToLower(strings.TrimSpace(contentType)), "application/json")
		if ok {
			if !jsonType || err != nil {
				t.Fatalf("%q %q accepted (strict decoding: %v)", contentType, body, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%q decoded as %+v, the standard library gives %+v", body, got, want)
			}
			if len(c.Errors) != 0 || w.Code != http.StatusOK {
				t.Fatalf("%q accepted but an error recorded: %v", body, c.Errors)
			}
			return
		}
		e := recorded(t, c, strconv.Quote(string(body)))
		if jsonType && err == nil {
			// The only valid JSON refused is JSON sent with a malformed media type.
			if e.Field != "body" || !strings.Contains(e.Message, "Content-Type") {
				t.Fatalf("%q %q refused: %v", contentType, body, e)
			}
		}
	})
}

// Date reads "YYYY-MM-DD", null or "" and nothing else; what it reads prints back as itself.
func FuzzDateJSON(f *testing.F) {
	for _, s := range []string{`"2026-03-31"`, `null`, `""`, `"2026-02-30"`, `"31/03/2026"`, `"2026-3-31"`, `"+2026-03-31"`, `"0000-01-01"`,
		`"9999-12-31"`, `"2026-03-31T00:00:00Z"`, `2026`, `"\u0032026-03-31"`, `" 2026-03-31"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var d Date
		if err := d.UnmarshalJSON(b); err != nil {
			return
		}
		if d.T == nil {
			if s := string(b); s != "null" && s != `""` {
				var v string
				if json.Unmarshal(b, &v) != nil || v != "" {
					t.Fatalf("%q read as no date", b)
				}
			}
			return
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil || d.T.Format(time.DateOnly) != s || d.T.Location() != time.UTC || !d.T.Equal(d.T.Truncate(24*time.Hour)) {
			t.Fatalf("%q read as %v", b, d.T)
		}
	})
}

// DateInput accepts a real calendar date from 1900 to 2200 and gives it back at midnight UTC;
// it names the missing parts or says the date is not real, always on the field, never panics.
// formDate (YYYY-MM-DD or the three fields) agrees with it.
func FuzzDateInput(f *testing.F) {
	for _, s := range [][3]string{{"31", "3", "2026"}, {"29", "2", "2024"}, {"29", "2", "2025"}, {"", "", ""}, {"1", "", ""}, {" 01 ", "03", "2026"},
		{"0", "1", "2026"}, {"1", "13", "2026"}, {"1", "1", "1899"}, {"31", "12", "2200"}, {"-1", "1", "2026"}, {"+1", "1", "2026"},
		{"99999999999999999999", "1", "2026"}, {"1", "1", "٢٠٢٦"}, {"1", "1", "2026\x00"}, {"4294967297", "1", "2026"}, {"1", "4294967297", "2026"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, day, month, year string) {
		form := url.Values{"d-day": {day}, "d-month": {month}, "d-year": {year}}
		got, err := DateInput(form.Get, "d", "Due date")
		empty := strings.TrimSpace(day) == "" && strings.TrimSpace(month) == "" && strings.TrimSpace(year) == ""
		if err != nil {
			var e *core.Error
			if got != nil || !errors.As(err, &e) || e.Code != core.EINVALID || e.Field != "d" || !strings.HasPrefix(e.Message, "Due date must ") {
				t.Fatalf("%q %q %q: %v, %v", day, month, year, got, err)
			}
			return
		}
		if got == nil {
			if !empty {
				t.Fatalf("%q %q %q read as no date", day, month, year)
			}
		} else {
			d, _ := strconv.Atoi(strings.TrimSpace(day))
			m, _ := strconv.Atoi(strings.TrimSpace(month))
			y, _ := strconv.Atoi(strings.TrimSpace(year))
			if got.Day() != d || int(got.Month()) != m || got.Year() != y || y < 1900 || y > 2200 || got.Location() != time.UTC || !got.Equal(got.Truncate(24*time.Hour)) {
				t.Fatalf("%q %q %q read as %v", day, month, year, got)
			}
		}
		viaForm, ferr := formDate(form.Get, "d", "Due date")
		if (ferr == nil) != (err == nil) || (viaForm == nil) != (got == nil) || (got != nil && !got.Equal(*viaForm)) {
			t.Fatalf("%q %q %q: formDate gives %v, %v; DateInput %v, %v", day, month, year, viaForm, ferr, got, err)
		}
		if got != nil {
			iso := url.Values{"d": {got.Format(time.DateOnly)}}
			if back, err := formDate(iso.Get, "d", "Due date"); err != nil || !back.Equal(*got) {
				t.Fatalf("%v does not round trip through YYYY-MM-DD: %v, %v", got, back, err)
			}
		}
	})
}

// multipartOracle reads body with the standard library: its text fields, and its file parts'
// names (each as soon as its header is read) and contents, up to the first error.
func multipartOracle(body []byte, boundary string) (fields url.Values, files []string, contents [][]byte, err error) {
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	fields = url.Values{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return fields, files, contents, nil
		}
		if err != nil {
			return fields, files, contents, err
		}
		if p.FileName() != "" { // a file part counts once its header is read, whole or not
			files = append(files, p.FileName())
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return fields, files, contents, err
		}
		if p.FileName() != "" {
			contents = append(contents, b)
		} else {
			fields.Add(p.FormName(), string(b))
		}
	}
}

// An upload form that takes one file gives that file's bytes and the form's fields exactly as
// the standard library reads them, refuses a second file, and fails with a field error (never
// a panic, never a silent truncation) on anything malformed.
func FuzzUploadForm(f *testing.F) {
	const b = "fuzzboundary"
	part := func(name, filename, body string) string {
		h := "--" + b + "\r\nContent-Disposition: form-data; name=\"" + name + "\""
		if filename != "" {
			h += "; filename=\"" + filename + "\""
		}
		return h + "\r\n\r\n" + body + "\r\n"
	}
	end := "--" + b + "--\r\n"
	for _, s := range []string{
		part("exhibit_ref", "", "JS/1") + part("description", "", "Statement") + part("file", "s.pdf", "%PDF-1.7 body") + end,
		part("file", "a.txt", "one") + part("file", "b.txt", "two") + end,
		part("file", "a.txt", "one") + part("after", "", "field after the file") + end,
		part("file", "", "") + part("file", "a.txt", "x") + end,
		part("only", "", "fields") + end,
		part("file", "a.txt", "cut off without an end"),
		end, "", "--" + b + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"../../etc/passwd\"\r\n\r\nx\r\n" + end,
		"--" + b + "\r\nContent-Disposition: form-data; name=\"f\"; filename*=UTF-8''%E2%82%AC.txt\r\n\r\n€\r\n" + end,
		"--" + b + "\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n" + end,
		"--" + b + "\r\nContent-Disposition: form-data; name=\"f\"; filename=\"q.bin\"\r\n\r\n--" + b + "x\r\n" + end,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, _ := fuzzContext(http.MethodPost, "multipart/form-data; boundary="+b, body)
		wantFields, wantFiles, wantContents, wantErr := multipartOracle(body, b)
		tooBig := false
		for _, vs := range wantFields {
			for _, v := range vs {
				tooBig = tooBig || len(v) > maxUploadField
			}
		}

		form, err := OpenUpload(c)
		var content []byte
		var file core.Upload
		if err == nil {
			file, err = form.OnlyFile()
			if err == nil {
				content, err = io.ReadAll(file.Body)
			}
		}
		switch {
		case errors.Is(err, io.EOF):
			if wantErr != nil || len(wantFiles) != 0 || tooBig {
				t.Fatalf("%q: no file, but the standard library reads files %q, error %v", body, wantFiles, wantErr)
			}
		case err != nil:
			var e *core.Error
			if !errors.As(err, &e) || (e.Code != core.EINVALID && e.Code != core.ETOOLARGE) || e.Message == "" {
				t.Fatalf("%q: error %v, want a field error", body, err)
			}
			if wantErr == nil && len(wantFiles) == 1 && !tooBig {
				t.Fatalf("%q: refused (%v), but it is a well-formed form with one file", body, err)
			}
			if e == errSecondFile && len(wantFiles) < 2 {
				t.Fatalf("%q: refused as a second file, but there are %d", body, len(wantFiles))
			}
		default:
			if wantErr != nil || len(wantFiles) != 1 || tooBig {
				t.Fatalf("%q: accepted file %q, but the standard library reads files %q, error %v", body, file.Name, wantFiles, wantErr)
			}
			if file.Name != wantFiles[0] || !bytes.Equal(content, wantContents[0]) {
				t.Fatalf("%q: file %q %q, want %q %q", body, file.Name, content, wantFiles[0], wantContents[0])
			}
			if !reflect.DeepEqual(form.Fields, wantFields) {
				t.Fatalf("%q: fields %v, want %v", body, form.Fields, wantFields)
			}
		}
	})
}

// A download name of any characters gives a Content-Disposition header that is a valid header
// value, says attachment, and names the file as given.
func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{"statement.pdf", "Zoë's \"notes\".txt", "a\r\nSet-Cookie: x=1", "../../etc/passwd", "", "\xff\xfe", "日本語.docx", "a;b=c", "%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v := ContentDisposition(name)
		if strings.ContainsAny(v, "\r\n\x00") || !strings.HasPrefix(v, "attachment; ") {
			t.Fatalf("%q gives the header %q", name, v)
		}
		for _, r := range v {
			if r < 0x20 || r > 0x7e {
				t.Fatalf("%q gives a header with %q in it: %q", name, r, v)
			}
		}
		i := strings.Index(v, "filename*=UTF-8''")
		if i < 0 {
			t.Fatalf("%q gives %q without filename*", name, v)
		}
		if back, err := url.PathUnescape(v[i+len("filename*=UTF-8''"):]); err != nil || back != name {
			t.Fatalf("%q gives filename* %q, which reads back as %q, %v", name, v[i:], back, err)
		}
	})
}
