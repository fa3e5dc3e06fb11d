package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/operations"
)

// OperationsImportPages are the pages of the bulk import of operations (issue 12): the upload
// form, and its answer (a dry run's counts, the import's, or every error of the file).
type OperationsImportPages interface {
	OperationsImportForm() gin.HandlerFunc
	OperationsImport() gin.HandlerFunc
}

// xlsxType is the media type of an Excel workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// ReadOperationsImport reads the one file of an import form and imports it (or, with a dry_run
// field or query parameter that is true, checks it) as the actor. The file is read whole,
// within limit bytes, before the import starts, so the form's fields may come before or after
// it. The pages use it too. Errors: EFORBIDDEN, ETOOLARGE, EINVALID (no file, two files, not a
// CSV or XLSX file), and the importer's.
func ReadOperationsImport(c *gin.Context, im *operations.Importer, limit int64) (operations.ImportResult, error) {
	ctx, who := c.Request.Context(), actorOf(c)
	if err := im.MayImport(ctx, who); err != nil {
		return operations.ImportResult{}, err
	}
	form, err := OpenUpload(c)
	if err != nil {
		return operations.ImportResult{}, err
	}
	up, err := form.OnlyFile()
	if errors.Is(err, io.EOF) {
		return operations.ImportResult{}, core.Invalid("file", "Select a CSV file or an Excel workbook (.xlsx)")
	}
	if err != nil {
		return operations.ImportResult{}, err
	}
	b, err := io.ReadAll(io.LimitReader(up.Body, limit+1))
	if err != nil {
		return operations.ImportResult{}, uploadReadError(err)
	}
	if int64(len(b)) > limit {
		return operations.ImportResult{}, core.TooLarge(fmt.Sprintf("The file must be smaller than %s: split it into several files", core.HumanBytes(limit)))
	}
	// Read on to the end of the form, so fields after the file (and a second file) are seen.
	if _, err := io.Copy(io.Discard, up.Body); err != nil {
		return operations.ImportResult{}, uploadReadError(err)
	}
	if len(b) == 0 {
		return operations.ImportResult{}, core.Invalid("file", "The selected file is empty")
	}
	dry := truthy(form.Fields.Get("dry_run")) || truthy(c.Query("dry_run"))
	return im.Import(ctx, who, core.Upload{Name: up.Name, Body: bytes.NewReader(b)}, operations.ImportOptions{DryRun: dry, MaxBytes: limit})
}

func truthy(s string) bool {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1", "yes", "on":
		return true
	}
	return false
}

// handleOperationsImport serves POST /api/v1/operations/import: 200 with the counts when the
// file was imported (or, for a dry run, would be), 422 with every error of the file otherwise.
func handleOperationsImport(im *operations.Importer, limit int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		res, err := ReadOperationsImport(c, im, limit)
		if err != nil {
			writeError(c, err)
			return
		}
		status := http.StatusOK
		if !res.Valid() {
			status = http.StatusUnprocessableEntity
		}
		c.JSON(status, res)
	}
}

// HandleOperationsImportTemplate serves the workbook template of the import.
func HandleOperationsImportTemplate(im *operations.Importer) gin.HandlerFunc {
	return func(c *gin.Context) {
		sendImportTemplate(c, im, "template.xlsx")
	}
}

// HandleOperationsImportFile serves /operations/import/:file: the workbook template
// (template.xlsx) or a CSV template (template-victims.csv).
func HandleOperationsImportFile(im *operations.Importer) gin.HandlerFunc {
	return func(c *gin.Context) {
		sendImportTemplate(c, im, c.Param("file"))
	}
}

func sendImportTemplate(c *gin.Context, im *operations.Importer, file string) {
	ctx, who := c.Request.Context(), actorOf(c)
	var (
		buf   bytes.Buffer
		err   error
		ctype string
	)
	switch kind, isCSV := strings.CutSuffix(strings.TrimPrefix(file, "template-"), ".csv"); {
	case file == "template.xlsx":
		err, ctype = im.TemplateXLSX(ctx, who, &buf), xlsxType
	case isCSV && strings.HasPrefix(file, "template-"):
		k, ok := operations.ImportKindOf(kind)
		if !ok {
			err = im.MayImport(ctx, who)
			if err == nil {
				err = core.NotFound("There is no such template")
			}
			break
		}
		err, ctype = im.TemplateCSV(ctx, who, k, &buf), "text/csv; charset=utf-8"
	default:
		if err = im.MayImport(ctx, who); err == nil {
			err = core.NotFound("There is no such template")
		}
	}
	if err != nil {
		writeError(c, err)
		return
	}
	c.Header("Content-Disposition", ContentDisposition("msphub-operations-"+file))
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, ctype, buf.Bytes())
}
