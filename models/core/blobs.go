package core

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gabriel-vasile/mimetype"
	"github.com/msptp/msphub/storage"
)

// Blob is a stored file's row: where its bytes are and the envelope that opens them. Domain
// rows (attachments, material, evidence) refer to it and keep the name people gave the file.
type Blob struct {
	ID          int64     `json:"-"`
	ObjectKey   string    `json:"-"`
	KeyID       string    `json:"-"`
	WrappedKey  string    `json:"-"` // base64
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	ContentType string    `json:"content_type"`
	CreatedBy   *int64    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
}

func (b Blob) envelope() (storage.Envelope, error) {
	w, err := base64.StdEncoding.DecodeString(b.WrappedKey)
	return storage.Envelope{KeyID: b.KeyID, WrappedKey: w, Size: b.Size, SHA256: b.SHA256}, err
}

// Upload is a file as it arrives: its name as the person gave it (metadata only: the object is
// stored under our own key) and its bytes, streamed.
type Upload struct {
	Name string
	Body io.Reader
}

// FileRules say what a kind of upload may be: how large and of which types, judged from the
// bytes, never from the name.
type FileRules struct {
	What    string   // "attachment", "evidence": for messages
	Limit   int64    // largest size in bytes
	Allowed []string // MIME types (a type's aliases and children match too)
}

// Document types the guidance and training rules allow: PDF, Word, Excel, PowerPoint,
// OpenDocument, plain text, PNG and JPEG. Active content (HTML, SVG, scripts, executables) is
// never among them.
func DocumentTypes() []string {
	return []string{
		"application/pdf",
		"application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
		"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
		"application/vnd.oasis.opendocument.presentation",
		"text/plain", "image/png", "image/jpeg",
	}
}

// refusedAlways are types no rule may let through, whatever its list says: they run in a
// browser or on a desktop.
func refusedAlways(m *mimetype.MIME) bool {
	for _, t := range []string{"text/html", "image/svg+xml", "application/javascript", "text/javascript", "application/xhtml+xml",
		"application/x-msdownload", "application/vnd.microsoft.portable-executable", "application/x-executable", "application/x-elf",
		"application/x-mach-binary", "application/x-sh", "text/x-shellscript", "application/x-bat"} {
		if m.Is(t) {
			return true
		}
	}
	return false
}

// sniffLimit is how many leading bytes decide a file's type.
const sniffLimit = 3072

// cleanFileName keeps a person's file name as safe metadata: no path, no control characters,
// at most 200 bytes. It is escaped wherever it is shown and never used as a storage key.
func cleanFileName(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > 200 {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		name = "file"
	}
	return name
}

// PendingBlob is a file whose bytes are stored but whose row is not yet recorded.
type PendingBlob struct {
	Blob
	Name string // the person's file name, cleaned
	d    Deps
}

// PutBlob streams up into the blob store under a new key of ours, checking its type from its
// first bytes and its size as it goes. It runs outside any transaction: a long upload must not
// hold the database (SQLite has one writer). The caller then records the blob inside its
// transaction, and discards it if that transaction fails. Errors: EINVALID (empty, or a type the
// rules refuse), ETOOLARGE, EUNAVAILABLE (the store is down), EINTERNAL.
func PutBlob(ctx context.Context, d Deps, who *Actor, up Upload, rules FileRules) (*PendingBlob, error) {
	if _, inTx := ctx.Value(txKey{}).(*txState); inTx {
		return nil, Internal(errors.New("putBlob inside a transaction"))
	}
	name := cleanFileName(up.Name)
	br := bufio.NewReaderSize(up.Body, sniffLimit)
	head, err := br.Peek(sniffLimit)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, uploadError(err, rules)
	}
	if len(head) == 0 {
		return nil, Invalid("file", "The selected file is empty")
	}
	mt := mimetype.Detect(head)
	if !slices.ContainsFunc(rules.Allowed, mt.Is) || refusedAlways(mt) {
		return nil, Invalid("file", fmt.Sprintf("%s is not a type of file MSP Hub accepts as %s (it is %s, whatever its name says)", name, article(rules.What), describeType(mt)))
	}
	var id [16]byte
	rand.Read(id[:]) // never fails (crypto/rand since Go 1.24)
	key := "blobs/" + time.Now().UTC().Format("2006/01/") + hex.EncodeToString(id[:])
	env, err := d.Blobs.Put(ctx, key, br, rules.Limit)
	if err != nil {
		return nil, uploadError(err, rules)
	}
	var uid *int64
	if who != nil {
		uid = &who.UserID
	}
	return &PendingBlob{d: d, Name: name, Blob: Blob{ObjectKey: key, KeyID: env.KeyID,
		WrappedKey: base64.StdEncoding.EncodeToString(env.WrappedKey), Size: env.Size, SHA256: env.SHA256,
		ContentType: mt.String(), CreatedBy: uid, CreatedAt: d.Now()}}, nil
}

// Record inserts the blob's row in the transaction in ctx.
func (p *PendingBlob) Record(ctx context.Context) (Blob, error) {
	b := p.Blob
	return b, DBError(p.d.DB.Conn(ctx).Create(&b).Error)
}

// Discard deletes the stored bytes of a blob whose transaction failed, once the database says
// its row is not there: a COMMIT whose answer was lost (a deadline, a connection dropped) may
// have kept the row, and its bytes must then stay. It runs on its own, so that a request whose
// database stopped answering is not held up by the check; anything it cannot settle is left to
// the orphan sweep, which removes only objects that no row names.
func (p *PendingBlob) Discard(ctx context.Context) {
	ctx, cancel := Detached(ctx)
	go func() {
		defer cancel()
		var n int64
		if err := p.d.DB.Gorm().WithContext(ctx).Model(&Blob{}).Where("object_key = ?", p.ObjectKey).Count(&n).Error; err != nil || n > 0 {
			if err != nil {
				p.d.Log.Warn("could not tell whether an upload was recorded; the orphan sweep will remove its object if not", "key", p.ObjectKey, "error", err)
			}
			return
		}
		if err := p.d.Blobs.Delete(ctx, p.ObjectKey); err != nil {
			p.d.Log.Warn("could not remove the object of an upload that was not recorded; the orphan sweep will", "key", p.ObjectKey, "error", err)
		}
	}()
}

func article(what string) string {
	if strings.IndexAny(what, "aeiou") == 0 {
		return "an " + what
	}
	return "a " + what
}

// describeType names a sniffed type for a person.
func describeType(m *mimetype.MIME) string {
	switch {
	case m.Is("application/vnd.microsoft.portable-executable"), m.Is("application/x-msdownload"), m.Is("application/x-executable"), m.Is("application/x-elf"):
		return "a program"
	case m.Is("text/html"):
		return "a web page"
	case m.Is("image/svg+xml"):
		return "an SVG image"
	case m.Is("application/zip"):
		return "a ZIP archive"
	}
	return m.String()
}

// uploadError explains a failed upload without internals.
func uploadError(err error, rules FileRules) error {
	var me *Error
	switch {
	case errors.As(err, &me):
		return err
	case errors.Is(err, storage.ErrTooLarge):
		return TooLarge(fmt.Sprintf("The file must be smaller than %s", HumanBytes(rules.Limit)))
	case errors.Is(err, storage.ErrUnreachable):
		return Unavailable("The file store is not answering, so the file was not saved. Try again in a few minutes.", err)
	case errors.Is(err, context.Canceled):
		return Invalid("file", "The upload was interrupted. Try again.")
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT):
		return Unavailable("The file store is full, so the file was not saved. Tell your system administrator.", err)
	}
	return Internal(err)
}

// ReadWhole reads a whole uploaded file of at most limit bytes into memory, for a file that is
// read rather than stored (an import, a bulk list). tooLarge tells the person what to do with a
// larger file. Errors: ETOOLARGE; EINVALID when the file cannot be read; an error of ours that r
// returns passes through.
func ReadWhole(r io.Reader, limit int64, tooLarge string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		var me *Error
		if errors.As(err, &me) {
			return nil, err
		}
		return nil, Invalid("file", "The file could not be read. Try again.")
	}
	if int64(len(b)) > limit {
		return nil, TooLarge(fmt.Sprintf("The file must be smaller than %s: %s", HumanBytes(limit), tooLarge))
	}
	return b, nil
}

// HumanBytes writes a size as GOV.UK writes sizes: "58 KB", "1.2 MB", "5 GB", "300 bytes"
// (1 KB is 1,024 bytes). Whole numbers have no decimal; the rest have one decimal place.
func HumanBytes(n int64) string {
	if n < 1<<10 {
		return strconv.FormatInt(n, 10) + " bytes"
	}
	units := []string{"KB", "MB", "GB", "TB"}
	v, u := float64(n)/(1<<10), 0
	// Round before choosing the unit, so 1,048,575 bytes is "1 MB", not "1024 KB".
	for u < len(units)-1 && math.Round(v*10)/10 >= 1<<10 {
		v, u = v/(1<<10), u+1
	}
	v = math.Round(v*10) / 10
	return strconv.FormatFloat(v, 'f', -1, 64) + " " + units[u]
}

// Prefetcher copies an opened blob to a client while reading ahead (storage.Prefetcher): one
// serves an export's files one after the other.
type Prefetcher = storage.Prefetcher

// NewPrefetcher returns a Prefetcher with its buffers.
func NewPrefetcher() *Prefetcher { return storage.NewPrefetcher() }

// LoadBlob reads a blob row.
func LoadBlob(ctx context.Context, d Deps, id int64) (Blob, error) {
	return TakeRow[Blob](ctx, d.DB, id, false, "File not found")
}

// File is a stored file opened for reading, with what a download needs to describe it.
type File struct {
	io.ReadCloser
	Name        string
	ContentType string
	Size        int64
	SHA256      string
}

// OpenBlob opens a stored file for streaming. A file whose stored bytes fail their check is
// EINTEGRITY (before any byte is read, or as an error of Read later); the store being down is
// EUNAVAILABLE.
func OpenBlob(ctx context.Context, d Deps, b Blob, name string) (File, error) {
	env, err := b.envelope()
	if err != nil {
		return File{}, Integrity(err)
	}
	rc, err := d.Blobs.Open(ctx, b.ObjectKey, env)
	switch {
	case errors.Is(err, storage.ErrIntegrity), errors.Is(err, storage.ErrNotFound):
		return File{}, Integrity(err)
	case errors.Is(err, storage.ErrUnreachable):
		return File{}, Unavailable("The file store is not answering. Try again in a few minutes.", err)
	case err != nil:
		return File{}, Internal(err)
	}
	return File{ReadCloser: integrityReader{rc}, Name: name, ContentType: b.ContentType, Size: b.Size, SHA256: b.SHA256}, nil
}

// integrityReader turns the store's integrity failures into ours.
type integrityReader struct{ io.ReadCloser }

func (r integrityReader) Read(p []byte) (int, error) {
	n, err := r.ReadCloser.Read(p)
	if errors.Is(err, storage.ErrIntegrity) {
		err = Integrity(err)
	}
	return n, err
}

// OrphanGrace is how old a stored object with no blob row must be before the sweep removes it.
// An upload stores its object before its row commits, so a young object without a row may be
// an upload in progress; no upload takes a day.
const OrphanGrace = 24 * time.Hour

// blobPrefix is where putBlob stores objects: the sweep looks there only.
const blobPrefix = "blobs/"

// sweepOrphanedBlobs removes stored objects that no blob row refers to and that are older than
// OrphanGrace: what is left behind when an upload's transaction failed and discarding its
// object failed too, or a replica died between storing an object and recording it. Each
// removal is audited.
func sweepOrphanedBlobs(d Deps, audit *Audit) JobFunc {
	type orphan struct {
		key      string
		size     int64
		modified time.Time
	}
	return func(ctx context.Context) (string, error) {
		cutoff := d.Now().Add(-OrphanGrace)
		var (
			stored  int
			old     []orphan
			orphans []orphan
		)
		// check keeps the old objects that have no row, a batch at a time.
		check := func() error {
			if len(old) == 0 {
				return nil
			}
			keys := make([]string, len(old))
			for i, o := range old {
				keys[i] = o.key
			}
			var known []string
			if err := d.DB.Conn(ctx).Model(&Blob{}).Where("object_key IN ?", keys).Pluck("object_key", &known).Error; err != nil {
				return DBError(err)
			}
			for _, o := range old {
				if !slices.Contains(known, o.key) {
					orphans = append(orphans, o)
				}
			}
			old = old[:0]
			return nil
		}
		err := d.Blobs.List(ctx, blobPrefix, func(key string, size int64, modified time.Time) error {
			stored++
			if !modified.Before(cutoff) {
				return nil // maybe an upload whose row is about to commit
			}
			old = append(old, orphan{key, size, modified})
			if len(old) == 500 {
				return check()
			}
			return nil
		})
		if err == nil {
			err = check()
		}
		if err != nil {
			return fmt.Sprintf("%s stored; the sweep stopped before removing any", Plural(int64(stored), "object", "objects")), storeError(err)
		}
		removed := 0
		for _, o := range orphans {
			if err := d.Blobs.Delete(ctx, o.key); err != nil {
				return fmt.Sprintf("%s stored, %d of %s removed", Plural(int64(stored), "object", "objects"), removed, Plural(int64(len(orphans)), "orphan", "orphans")), storeError(err)
			}
			removed++
			if err := d.DB.InTx(ctx, func(ctx context.Context) error {
				return audit.Record(ctx, nil, Event{Action: "blob.orphan_remove", ObjectType: "blob_object", ObjectID: o.key, Outcome: OutcomeSuccess,
					Details: map[string]string{"stored_bytes": strconv.FormatInt(o.size, 10), "stored_at": o.modified.UTC().Format(time.RFC3339)}})
			}); err != nil {
				return "", err
			}
		}
		return fmt.Sprintf("%s stored, %s removed", Plural(int64(stored), "object", "objects"), Plural(int64(removed), "orphan", "orphans")), nil
	}
}

// storeError says the blob store failed, without internals.
func storeError(err error) error {
	var e *Error
	switch {
	case errors.As(err, &e), errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, storage.ErrUnreachable):
		return Unavailable("The file store did not answer the sweep; it will try again.", err)
	}
	return Internal(err)
}

// Plural is "1 thing" or "n things".
func Plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// JobSweepOrphanedBlobs removes stored objects that no row refers to.
const JobSweepOrphanedBlobs = "sweep-orphaned-blobs"

// BlobJobs are the background jobs of the file store.
func BlobJobs(d Deps, audit *Audit) []Job {
	return []Job{{Name: JobSweepOrphanedBlobs, Every: 6 * time.Hour, Run: sweepOrphanedBlobs(d, audit)}}
}
