// Package casedoc renders the documents of a case file pack that a CPS lawyer reads without a
// covering email (issue 13 item 7): each headed with the case (marking, URN, operation, officer
// in the case, disclosure officer) and signed and dated, as PDF. It knows nothing of case files:
// the caller gives each document as a head, a table and a signature.
package casedoc

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/msptp/msphub/models/core"
)

// NotRecorded is what a document says of a role or signature the case does not record yet.
const NotRecorded = "not recorded"

// Head is what heads every document of a case. An empty officer shows as NotRecorded.
type Head struct {
	Marking           string
	URN               string
	Operation         string
	OIC               string // the officer in the case: the lead investigator
	DisclosureOfficer string
}

// Doc is one case-headed document: a title, a line saying what it holds, a table, who signs it
// (Signer, like "disclosure officer"; "" when nobody does) and who signed it (SignedBy, ""
// shows NotRecorded), and its date.
type Doc struct {
	Head     Head
	Title    string
	Intro    string
	Columns  []string
	Widths   []float64 // the columns' shares of the page width; equal when nil
	Rows     [][]string
	Signer   string
	SignedBy string
	Dated    time.Time
}

// Count says how many things there are, in words that agree: "1 entry", "2 entries".
func Count(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// PDF renders d on A4 landscape, the marking at the head and foot of every page.
func PDF(d Doc) ([]byte, error) {
	p := fpdf.New("L", "mm", "A4", "")
	p.SetCompression(false)
	p.SetTitle(d.Title+" "+d.Head.URN, true)
	p.SetAuthor("MSP Hub", false)
	tr := p.UnicodeTranslatorFromDescriptor("")
	p.SetHeaderFunc(func() {
		p.SetFont("Helvetica", "B", 10)
		p.CellFormat(0, 6, tr(d.Head.Marking), "", 1, "C", false, 0, "")
		p.Ln(2)
	})
	p.SetFooterFunc(func() {
		p.SetY(-14)
		p.SetFont("Helvetica", "B", 10)
		p.CellFormat(0, 6, tr(d.Head.Marking), "", 1, "C", false, 0, "")
		p.SetFont("Helvetica", "", 8)
		p.CellFormat(0, 4, tr(d.Title+", "+d.Head.URN+", page "+strconv.Itoa(p.PageNo())), "", 0, "C", false, 0, "")
	})
	p.SetAutoPageBreak(true, 18)
	p.AddPage()
	p.SetFont("Helvetica", "B", 16)
	p.MultiCell(0, 8, tr(d.Title), "", "L", false)
	p.SetFont("Helvetica", "", 10)
	for _, f := range [][2]string{{"URN", d.Head.URN}, {"Operation", d.Head.Operation}, {"Officer in the case", d.Head.OIC},
		{"Disclosure officer", d.Head.DisclosureOfficer}} {
		p.MultiCell(0, 5, tr(f[0]+": "+or(f[1])), "", "L", false)
	}
	if d.Intro != "" {
		p.Ln(2)
		p.MultiCell(0, 5, tr(d.Intro), "", "L", false)
	}
	p.Ln(3)
	widths := columnWidths(d, 277)
	row := func(cells []string, style string) {
		p.SetFont("Helvetica", style, 8)
		lines := 1
		for i, c := range cells {
			lines = max(lines, len(p.SplitText(tr(c), widths[i]-2)))
		}
		h := float64(lines) * 4
		if p.GetY()+h > 190 {
			p.AddPage()
		}
		x, y := p.GetXY()
		for i, c := range cells {
			p.Rect(x, y, widths[i], h, "D")
			p.SetXY(x+1, y)
			p.MultiCell(widths[i]-2, 4, tr(c), "", "L", false)
			x += widths[i]
		}
		p.SetXY(10, y+h)
	}
	row(d.Columns, "B")
	for _, r := range d.Rows {
		row(r, "")
	}
	p.Ln(6)
	p.SetFont("Helvetica", "", 10)
	if d.Signer != "" {
		p.MultiCell(0, 5, tr("Signed by the "+d.Signer+": "+or(d.SignedBy)), "", "L", false)
	}
	p.MultiCell(0, 5, tr("Dated: "+d.Dated.Format("2 January 2006")), "", "L", false)
	var b bytes.Buffer
	err := p.Output(&b)
	return b.Bytes(), err
}

func or(s string) string {
	if s == "" {
		return NotRecorded
	}
	return s
}

// columnWidths shares page millimetres among the columns by d.Widths.
func columnWidths(d Doc, page float64) []float64 {
	shares, total := d.Widths, 0.0
	if len(shares) != len(d.Columns) {
		shares = make([]float64, len(d.Columns))
		for i := range shares {
			shares[i] = 1
		}
	}
	for _, s := range shares {
		total += s
	}
	out := make([]float64, len(shares))
	for i, s := range shares {
		out[i] = page * s / total
	}
	return out
}

// SafeName keeps letters, digits, dots, hyphens and underscores, replacing anything else.
func SafeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	out := strings.Trim(b.String(), ".")
	if len(out) > 80 {
		out = out[:80]
	}
	if out == "" {
		out = "file"
	}
	return out
}

// CSV writes a table as CSV, cells a spreadsheet would run as a formula neutralised.
func CSV(columns []string, rows [][]string) ([]byte, error) {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(columns); err != nil {
		return nil, err
	}
	for _, r := range rows {
		safe := make([]string, len(r))
		for i, cell := range r {
			safe[i] = core.CSVSafe(cell)
		}
		if err := w.Write(safe); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}
