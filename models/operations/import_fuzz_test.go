package operations

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
)

// FuzzImportFile feeds any bytes to the import's reader and cell parser, as an upload would:
// the reader either refuses the file with an input error (never a panic, never an internal
// error), or every row it returns has the number a spreadsheet program shows (2 or more) and
// only the columns of its sheet, and parsing every cell of every row completes.
func FuzzImportFile(f *testing.F) {
	for _, k := range ImportKinds() {
		header := strings.Join(ImportColumns(k), ",")
		f.Add([]byte(header + "\n"))
		f.Add([]byte(header + "\nDC/1,Kestrel,a@b.uk,live,7/12/2026,,labour;sexual,yes,no,,,\n"))
	}
	f.Add([]byte("operation_reference,reference,age_band,sex\nDC/1,V1,16-17,female\n\"unclosed"))
	f.Add([]byte("PK\x03\x04not really a workbook"))
	if wb, err := templateWorkbook(nil); err == nil {
		var buf bytes.Buffer
		if err := wb.Write(&buf); err == nil {
			f.Add(buf.Bytes()) // the template as downloaded: a real workbook
		}
	}
	f.Add([]byte("\xef\xbb\xbfreference;name\r\nA;B\r\n"))
	today := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := readImportFile(bytes.NewReader(b), 1<<20, "upload.csv")
		if err != nil {
			if code := core.ErrorCode(err); code != core.EINVALID && code != core.ETOOLARGE {
				t.Fatalf("refused with %s, want an input error: %v", code, err)
			}
			return
		}
		for kind, s := range file.sheets {
			allowed := map[string]bool{}
			for _, c := range ImportColumns(kind) {
				allowed[c] = true
			}
			for _, r := range s.rows {
				if r.num < 2 {
					t.Fatalf("%s row numbered %d: the header is row 1", kind.Sheet(), r.num)
				}
				for col := range r.cells {
					if !allowed[col] {
						t.Fatalf("%s row %d has a cell in column %q, not a column of the sheet", kind.Sheet(), r.num, col)
					}
				}
			}
		}
		newBatch(file, today).parse()
	})
}
