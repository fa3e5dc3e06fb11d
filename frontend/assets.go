package frontend

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/core"
)

// dist is built by `npm run build` (build.mjs) and never committed; .gitkeep lets a fresh clone
// compile.
//
//go:embed all:dist
var dist embed.FS

// assets serves the built files under /assets/<version>/, where version is a hash of all of
// them: a new build gets new URLs, so browsers may cache every asset for a year.
type assets struct {
	files   fs.FS
	version string
}

func loadAssets() (*assets, error) {
	files, err := fs.Sub(dist, "dist")
	if err != nil {
		return nil, err
	}
	if _, err := fs.Stat(files, "app.css"); err != nil {
		return nil, errors.New("front-end assets are not built: run `make assets` (or `make run`)")
	}
	var names []string
	err = fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && name != ".gitkeep" {
			names = append(names, name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	h := sha256.New()
	for _, name := range names {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		io.WriteString(h, name)
		h.Write(b)
	}
	return &assets{files: files, version: hex.EncodeToString(h.Sum(nil))[:12]}, nil
}

// url is the template function {{asset "app.css"}}.
func (a *assets) url(name string) string { return "/assets/" + a.version + "/" + name }

// Asset serves GET /assets/<version>/<file>. Another version is a 404, so a stale page never
// gets a mismatched stylesheet.
func (p *Pages) Asset() gin.HandlerFunc {
	return func(c *gin.Context) {
		rest := strings.TrimPrefix(c.Param("path"), "/")
		version, name, ok := strings.Cut(rest, "/")
		name = path.Clean(name)
		if !ok || version != p.assets.version || name == ".gitkeep" || strings.HasPrefix(name, "..") {
			api.WriteError(c, core.NotFound("There is nothing at this address."))
			return
		}
		f, err := p.assets.files.Open(name)
		if err != nil {
			api.WriteError(c, core.NotFound("There is nothing at this address."))
			return
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil || st.IsDir() {
			api.WriteError(c, core.NotFound("There is nothing at this address."))
			return
		}
		c.Header("Cache-Control", "public, max-age=31536000, immutable")
		c.Header("ETag", `"`+p.assets.version+`"`)
		http.ServeContent(c.Writer, c.Request, name, time.Time{}, f.(io.ReadSeeker))
	}
}
