package api

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
)

const multipartKey = "msphub.multipart"

// maxUploadField bounds one text field of an upload form, and maxUploadFields all of them: the
// file is the only part allowed to be large.
const (
	maxUploadField  = 64 << 10
	maxUploadFields = 1 << 20
)

// checkMultipartCSRF checks the CSRF token of a multipart form, which must be its first part
// (forms put the hidden field first), without reading the rest: the file behind it is streamed
// by the handler. The reader is kept for the handler.
func (a *App) checkMultipartCSRF(c *gin.Context, want string) bool {
	mr, err := c.Request.MultipartReader()
	if err != nil {
		return false
	}
	part, err := mr.NextPart()
	if err != nil || part.FormName() != "csrf_token" {
		return false
	}
	got, err := io.ReadAll(io.LimitReader(part, 256))
	if err != nil || !sameToken(string(got), want) {
		return false
	}
	c.Set(multipartKey, mr)
	return true
}

// UploadForm is a multipart form being read as it arrives: its text fields, and its files one
// at a time, streamed. Put the file inputs after the other fields.
type UploadForm struct {
	Fields url.Values
	mr     *multipart.Reader
	size   int64
	next   *multipart.Part
	meter  *transferMeter // counts the files' bytes for the metrics
	single bool           // the form takes one file: a second is an error
}

// OpenUpload starts reading an upload form, up to its first file. Errors: EINVALID (not a
// multipart form, a field too long), ETOOLARGE.
func OpenUpload(c *gin.Context) (*UploadForm, error) {
	var mr *multipart.Reader
	if v, ok := c.Get(multipartKey); ok {
		mr = v.(*multipart.Reader)
	} else {
		var err error
		if mr, err = c.Request.MultipartReader(); err != nil {
			return nil, core.Invalid("file", "Send the file as a multipart/form-data upload")
		}
	}
	u := &UploadForm{Fields: url.Values{}, mr: mr, meter: uploadMeter(c)}
	return u, u.readFields()
}

// readFields reads text fields until the next file part (kept in u.next) or the end.
func (u *UploadForm) readFields() error {
	for {
		part, err := u.mr.NextPart()
		if errors.Is(err, io.EOF) {
			u.next = nil
			return nil
		}
		if err != nil {
			return uploadReadError(err)
		}
		if part.FileName() != "" {
			u.next = part
			return nil
		}
		b, err := io.ReadAll(io.LimitReader(part, maxUploadField+1))
		if err != nil {
			return uploadReadError(err)
		}
		if len(b) > maxUploadField {
			return core.Invalid(part.FormName(), "This field is too long")
		}
		if u.size += int64(len(b)); u.size > maxUploadFields {
			return core.TooLarge("The form's fields are too large")
		}
		u.Fields.Add(part.FormName(), string(b))
	}
}

// NextFile returns the next file of the form and its field name; read it to its end before
// asking for another. io.EOF when there are no more. (A file input left empty arrives without a
// file name and is read as an empty field, so it is skipped.)
func (u *UploadForm) NextFile() (core.Upload, string, error) {
	if u.next == nil {
		return core.Upload{}, "", io.EOF
	}
	part := u.next
	u.next = nil
	return core.Upload{Name: part.FileName(), Body: &partReader{part: part, form: u}}, part.FormName(), nil
}

// OnlyFile returns the one file of a form that takes exactly one (an exhibit, a material, a
// CSV): io.EOF when there is none, and if another file follows it, reading the file ends in
// EINVALID instead of its end, so the operation reading it stores nothing.
func (u *UploadForm) OnlyFile() (core.Upload, error) {
	u.single = true
	up, _, err := u.NextFile()
	return up, err
}

// errSecondFile refuses a second file where one is taken.
var errSecondFile = core.Invalid("file", "Send one file only: this upload takes exactly one file")

// partReader reads one file part; at its end it reads on to the next file, so the form's
// fields between files land in Fields.
type partReader struct {
	part *multipart.Part
	form *UploadForm
	done bool
}

func (p *partReader) Read(b []byte) (int, error) {
	n, err := p.part.Read(b)
	p.form.meter.add(n)
	if errors.Is(err, io.EOF) && !p.done {
		p.done = true
		if ferr := p.form.readFields(); ferr != nil {
			return n, ferr
		}
		if p.form.single && p.form.next != nil {
			return n, errSecondFile
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, uploadReadError(err)
	}
	return n, err
}

func uploadReadError(err error) error {
	if IsTooLarge(err) {
		return core.TooLarge("The upload is larger than allowed here")
	}
	var me *core.Error
	if errors.As(err, &me) {
		return err
	}
	return core.Invalid("file", "The upload was cut off or malformed. Try again.")
}

// uploadSlots lets at most n uploads stream at once; more wait their turn (or give up when the
// client does, or after the request timeout), so a burst of large files cannot exhaust memory or
// connections to the store.
func uploadSlots(n int) gin.HandlerFunc {
	if n <= 0 {
		n = 8
	}
	slots := make(chan struct{}, n)
	return func(c *gin.Context) {
		select {
		case slots <- struct{}{}:
		case <-c.Request.Context().Done():
			writeError(c, core.Unavailable("Too many files are being uploaded. Try again in a minute.", context.Cause(c.Request.Context())))
			return
		}
		defer func() { <-slots }()
		c.Next()
	}
}

// SendFile streams a stored file as a download: an attachment (never shown inline), with the
// type sniffed when it was stored, nosniff, and a sandbox policy in case a browser renders it
// anyway. The first bytes are read before any header is written, so a file that fails its
// integrity check at once gets a proper error page; a failure later cuts the connection, so no
// altered byte is ever delivered as if the file were whole.
func SendFile(c *gin.Context, f core.File, filename string) {
	defer f.Close()
	meter := downloadMeter(c)
	defer meter.done()
	out := meter.writer(c.Writer)
	buf := make([]byte, 64<<10)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		writeError(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", ContentDisposition(filename))
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	c.Status(http.StatusOK)
	if _, err := out.Write(buf[:n]); err != nil {
		return
	}
	if _, err := io.CopyBuffer(out, f, buf); err != nil {
		// Headers are gone: abort the connection rather than end the body as if it were whole.
		panic(http.ErrAbortHandler)
	}
}

// ContentDisposition builds an RFC 6266 attachment header: an ASCII fallback name and the
// UTF-8 name in filename*.
func ContentDisposition(filename string) string {
	fallback := strings.Map(func(r rune) rune {
		switch {
		case r > unicode.MaxASCII, r < 0x20, r == '"', r == '\\', r == 0x7f:
			return '_'
		}
		return r
	}, filename)
	v := mime.FormatMediaType("attachment", map[string]string{"filename": fallback})
	if v == "" {
		v = `attachment; filename="download"`
	}
	return v + "; filename*=UTF-8''" + url.PathEscape(filename)
}
