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
	Rows   string
	Kinds  []operations.ImportKind
	Result *operations.ImportResult
}

// KindLabel names a kind of record in a sentence: "potential victims".
func (operationsImportView) KindLabel(k operations.ImportKind) string {
	if k == operations.ImportVictims {
		return "potential victims"
	}
	return strings.ToLower(k.Sheet())
}

func (p *Pages) operationsImportView() operationsImportView {
	return operationsImportView{Limit: fileSize(p.app.Cfg.MaxAttachmentBytes), Rows: thousands(int64(operations.MaxImportRows)), Kinds: operations.ImportKinds()}
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
			// The summary links to the file field, as every summary links to a field; the table
			// under it lists every problem by sheet, row and column.
			problems := "1 problem"
			if n := len(res.Errors); n != 1 {
				problems = fmt.Sprintf("%d problems", n)
			}
			data.Errors = formErrors{{Field: "file", Message: "The file has " + problems + ", listed below. Nothing has been saved: correct your spreadsheet and check it again"}}
		}
		p.render(c, status, "operations_import", data)
	}
}
