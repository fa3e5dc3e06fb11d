package frontend

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/api"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/operations"
)

// operationsImportView is the import page: the templates, the upload form, and the answer to the
// last upload.
type operationsImportView struct {
	Limit  string
	Rows   int
	Kinds  []operations.ImportKind
	Result *operations.ImportResult
}

// ErrorID is the anchor of the i-th error in the table of errors, where the summary links.
func (operationsImportView) ErrorID(i int) string { return fmt.Sprintf("import-error-%d", i+1) }

// KindLabel names a kind of record in a sentence: "potential victims".
func (operationsImportView) KindLabel(k operations.ImportKind) string {
	if k == operations.ImportVictims {
		return "potential victims"
	}
	return strings.ToLower(k.Sheet())
}

// summaryLimit is how many errors the error summary lists; the table below lists them all.
const summaryLimit = 25

func (p *Pages) operationsImportView() operationsImportView {
	return operationsImportView{Limit: fileSize(p.app.Cfg.MaxAttachmentBytes), Rows: operations.MaxImportRows, Kinds: operations.ImportKinds()}
}

// OperationsImportForm serves GET /operations/import.
func (p *Pages) OperationsImportForm() gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := p.s.OperationsImport.MayImport(c.Request.Context(), actor(c)); err != nil {
			api.WriteError(c, err)
			return
		}
		p.render(c, http.StatusOK, "operations_import", page{Title: "Import operations", Data: p.operationsImportView()})
	}
}

// OperationsImport serves POST /operations/import: "Check the file" (a dry run) or "Import". A
// file with problems lists every one of them, in the error summary and in a table, and nothing
// is saved.
func (p *Pages) OperationsImport() gin.HandlerFunc {
	return func(c *gin.Context) {
		v := p.operationsImportView()
		res, err := api.ReadOperationsImport(c, p.s.OperationsImport, p.app.Cfg.MaxAttachmentBytes)
		if err != nil {
			if core.ErrorCode(err) == core.ETOOLARGE {
				err = &core.Error{Code: core.EINVALID, Field: "file", Message: core.ErrorMessage(err)}
			}
			p.formFailed(c, err, "operations_import", page{Title: "Import operations", Form: url.Values{}, Data: v}, "file")
			return
		}
		v.Result = &res
		data := page{Title: "Import operations", Data: v}
		status := http.StatusOK
		if !res.Valid() {
			status = http.StatusUnprocessableEntity
			data.Title = "Error: Import operations"
			for i, e := range res.Errors {
				if i == summaryLimit {
					data.Errors = append(data.Errors, formError{Field: "import-errors",
						Message: fmt.Sprintf("And %d more problems, listed in the table below", len(res.Errors)-summaryLimit)})
					break
				}
				data.Errors = append(data.Errors, formError{Field: v.ErrorID(i), Message: e.String()})
			}
		}
		p.render(c, status, "operations_import", data)
	}
}
