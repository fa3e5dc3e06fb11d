package frontend

import (
	"bytes"
	"io"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/frontend/govuk"
)

func newPages(t *testing.T) *Pages {
	t.Helper()
	p, err := New(slog.New(slog.NewTextHandler(io.Discard, nil)), &api.App{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// The built stylesheet uses Arial: the GDS Transport font is licensed for GOV.UK only, and no
// font file is served at all.
func TestStylesheetHasNoGOVUKFont(t *testing.T) {
	css, err := fs.ReadFile(dist, "dist/app.css")
	if err != nil {
		t.Fatalf("built CSS missing (run make assets): %v", err)
	}
	for _, banned := range []string{"GDS Transport", "@font-face", ".woff"} {
		if bytes.Contains(css, []byte(banned)) {
			t.Errorf("app.css contains %q", banned)
		}
	}
	if !bytes.Contains(css, []byte("font-family:arial,sans-serif")) {
		t.Error("app.css does not set Arial")
	}
}

// MSP Hub is not a GOV.UK service: no crown, crest, GOV.UK logo or font ships with it.
func TestNoGOVUKBrandAssets(t *testing.T) {
	err := fs.WalkDir(dist, "dist", func(name string, d fs.DirEntry, err error) error {
		lower := strings.ToLower(name)
		for _, banned := range []string{"crown", "crest", "govuk-icon", "logotype", "opengraph", "fonts/", ".woff"} {
			if strings.Contains(lower, banned) {
				t.Errorf("dist ships %s", name)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, templates := range []fs.FS{templateFiles, govuk.Templates()} {
		err = fs.WalkDir(templates, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, _ := fs.ReadFile(templates, name)
			for _, banned := range []string{"govuk-header__", "govuk-logo", "crown", "govuk-footer__licence", "govuk-footer__copyright"} {
				if bytes.Contains(b, []byte(banned)) {
					t.Errorf("%s uses %q", name, banned)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func render(t *testing.T, p *Pages, data page) string {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	w := httptest.NewRecorder()
	c, _ := gin.CreateTestContext(w)
	c.Request = httptest.NewRequest("GET", "/", nil)
	p.render(c, 200, "error", data)
	return w.Body.String()
}

// A marked page shows its marking at the top and at the bottom; an unmarked page shows none.
func TestClassificationBanner(t *testing.T) {
	p := newPages(t)
	marked := render(t, p, page{Title: "Case", Classification: "OFFICIAL-SENSITIVE", ErrorTitle: "x"})
	if n := strings.Count(marked, "Protective marking: </span>OFFICIAL-SENSITIVE"); n != 2 {
		t.Errorf("marking shown %d times, want 2 (top and bottom)", n)
	}
	if !strings.Contains(marked, "app-classification--sensitive") {
		t.Error("OFFICIAL-SENSITIVE banner lacks its modifier")
	}
	top := strings.Index(marked, "app-classification")
	if header := strings.Index(marked, "govuk-template__header"); top > header {
		t.Error("the top banner comes after the header")
	}
	if plain := render(t, p, page{Title: "Start", ErrorTitle: "x"}); strings.Contains(plain, "Protective marking") {
		t.Error("an unmarked page shows a marking")
	}
}

// Text from users is escaped wherever it lands in a page.
func TestPagesEscapeText(t *testing.T) {
	p := newPages(t)
	out := render(t, p, page{Title: `<script>alert(1)</script>`, ErrorTitle: `<img src=x onerror=alert(1)>`, ErrorAdvice: []string{`"><b>`}})
	for _, raw := range []string{"<script>alert", "<img src=x", `"><b>`} {
		if strings.Contains(out, raw) {
			t.Errorf("page contains unescaped %q", raw)
		}
	}
}
