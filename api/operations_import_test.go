package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/operations"
	"github.com/msptp/msphub/models/operations/operationstest"
	"github.com/msptp/msphub/policies"
	"github.com/xuri/excelize/v2"
)

// fillTemplate writes rows into the sheets of a downloaded template, under its header row.
func fillTemplate(t *testing.T, template []byte, sheets map[operations.ImportKind][][]string) []byte {
	t.Helper()
	wb, err := excelize.OpenReader(bytes.NewReader(template))
	if err != nil {
		t.Fatalf("the template is not a workbook: %v", err)
	}
	defer wb.Close()
	for kind, rows := range sheets {
		header, err := wb.GetRows(kind.Sheet())
		if err != nil || len(header) == 0 || !slices.Equal(header[0], rows[0]) {
			t.Fatalf("template sheet %s: header %v (%v), want %v", kind.Sheet(), header, err, rows[0])
		}
		operationstest.SetRows(t, wb, kind.Sheet(), 2, rows[1:])
	}
	var buf bytes.Buffer
	if _, err := wb.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func countRows(t *testing.T, a *apitest.App, table string) int64 {
	t.Helper()
	var n int64
	if err := a.DB.Gorm().Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOperationsImportAPI(t *testing.T) {
	a := apitest.New(t)
	inv := a.As(t, policies.RoleInvestigator)
	lead := a.NewUser(t, apitest.UserSpec{Roles: []string{policies.RoleInvestigator}})
	token := inv.Token(t, identity.ScopeReadWrite)

	w := a.Bearer(t, token, "GET", "/api/v1/operations/import/template.xlsx", "")
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		!strings.HasPrefix(w.Header().Get("Content-Disposition"), "attachment") {
		t.Fatalf("template: %d %v", w.Code, w.Header())
	}
	template := w.Body.Bytes()
	sheets := map[operations.ImportKind][][]string{
		operations.ImportOperations: operationstest.Sheet(operations.ImportOperations,
			map[string]string{"reference": "DC/1", "name": "Operation Wren", "lead_officer": lead.Email, "status": "live", "started_on": "2025-05-01", "exploitation": "labour"},
			map[string]string{"reference": "DC/2", "name": "Operation Finch", "lead_officer": "nobody@example.police.uk", "status": "ended", "started_on": "2025-05-01"}),
		operations.ImportVictims: operationstest.Sheet(operations.ImportVictims,
			map[string]string{"operation_reference": "DC/1", "reference": "V1", "age_band": "18-24", "sex": "female", "nationality": "PL"},
			map[string]string{"operation_reference": "DC/3", "reference": "V2", "age_band": "infant", "sex": "female"}),
	}
	upload := func(file []byte, name string, fields url.Values) (int, operations.ImportResult) {
		w := a.UploadAPI(t, token, "/api/v1/operations/import", fields, apitest.File{Field: "file", Name: name, Body: bytes.NewReader(file)})
		var res operations.ImportResult
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
			t.Fatalf("%d %s", w.Code, w.Body.String())
		}
		return w.Code, res
	}

	// Every row's errors, several per row, and nothing saved.
	code, res := upload(fillTemplate(t, template, sheets), "ops.xlsx", nil)
	if code != http.StatusUnprocessableEntity || res.Saved {
		t.Fatalf("file with errors: %d %+v", code, res)
	}
	var got []string
	for _, e := range res.Errors {
		got = append(got, fmt.Sprintf("%s/%d/%s", e.Sheet, e.Row, e.Column))
	}
	for _, want := range []string{"Operations/3/lead_officer", "Operations/3/status", "Operations/3/exploitation", "Victims/3/operation_reference", "Victims/3/age_band"} {
		if !slices.Contains(got, want) {
			t.Errorf("no error at %s: %v", want, got)
		}
	}
	if countRows(t, a, "operations")+countRows(t, a, "victims") != 0 {
		t.Fatal("a file with errors saved rows")
	}

	// Corrected: a dry run (query parameter) saves nothing, then the import.
	ops := sheets[operations.ImportOperations]
	ops[2] = operationstest.Sheet(operations.ImportOperations, map[string]string{"reference": "DC/2", "name": "Operation Finch", "lead_officer": lead.Email,
		"status": "closed", "started_on": "2025-05-01", "ended_on": "2025-11-30", "exploitation": "sexual;labour", "cross_border": "yes"})[1]
	sheets[operations.ImportVictims] = sheets[operations.ImportVictims][:2]
	file := fillTemplate(t, template, sheets)
	w = a.UploadAPI(t, token, "/api/v1/operations/import?dry_run=true", nil, apitest.File{Field: "file", Name: "ops.xlsx", Body: bytes.NewReader(file)})
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `"saved":false`) || countRows(t, a, "operations") != 0 {
		t.Fatalf("dry run: %d %s", w.Code, w.Body.String())
	}
	code, res = upload(file, "ops.xlsx", nil)
	if code != http.StatusOK || !res.Saved || res.Operations.Added != 2 || res.Victims.Added != 1 {
		t.Fatalf("import: %d %+v", code, res)
	}
	// Again, as a CSV of operations with a change: updated, not duplicated.
	ops[1][slices.Index(ops[0], "name")] = "Operation Wren (phase 2)"
	var csvFile bytes.Buffer
	for _, r := range ops {
		csvFile.WriteString(strings.Join(r, ",") + "\n")
	}
	code, res = upload(csvFile.Bytes(), "ops.csv", url.Values{"dry_run": {"false"}})
	if code != http.StatusOK || res.Format != "csv" || res.Operations.Updated != 2 || res.Operations.Added != 0 || countRows(t, a, "operations") != 2 {
		t.Fatalf("re-import: %d %+v", code, res)
	}
	var name string
	a.DB.Gorm().Table("operations").Where("reference = ?", "DC/1").Pluck("name", &name)
	if name != "Operation Wren (phase 2)" {
		t.Fatalf("name after re-import: %q", name)
	}

	// Exactly one file.
	w = a.UploadAPI(t, token, "/api/v1/operations/import", nil, apitest.File{Field: "file", Name: "a.csv", Body: bytes.NewReader(csvFile.Bytes())},
		apitest.File{Field: "file", Name: "b.csv", Body: bytes.NewReader(csvFile.Bytes())})
	if w.Code != http.StatusUnprocessableEntity || !strings.Contains(w.Body.String(), "one file") {
		t.Fatalf("two files: %d %s", w.Code, w.Body.String())
	}
	w = a.UploadAPI(t, token, "/api/v1/operations/import", url.Values{"dry_run": {"true"}})
	if w.Code != http.StatusUnprocessableEntity {
		t.Fatalf("no file: %d %s", w.Code, w.Body.String())
	}

	// Refused: analysts, administrators, officers, and another force's supervisor cannot touch
	// this force's operations (their import makes their own).
	for _, role := range []string{policies.RoleAnalyst, policies.RoleAdmin, policies.RoleOfficer} {
		u := a.As(t, role)
		w := a.UploadAPI(t, u.Token(t, identity.ScopeReadWrite), "/api/v1/operations/import", nil, apitest.File{Field: "file", Name: "ops.csv", Body: bytes.NewReader(csvFile.Bytes())})
		if w.Code != http.StatusForbidden {
			t.Errorf("%s: %d", role, w.Code)
		}
	}
	if countRows(t, a, "operations") != 2 {
		t.Fatal("a refused import saved")
	}
}

func TestOperationsImportPage(t *testing.T) {
	a := apitest.New(t)
	sup := a.As(t, policies.RoleSupervisor)
	b := sup.Browser()
	page := b.Get(t, "/operations/import")
	if page.Code != http.StatusOK || !strings.Contains(page.Body.String(), `href="/operations/import/template.xlsx"`) ||
		!strings.Contains(page.Body.String(), `href="/operations/import/template-victims.csv"`) {
		t.Fatalf("form: %d", page.Code)
	}
	csvTemplate := b.Get(t, "/operations/import/template-operations.csv")
	if csvTemplate.Code != http.StatusOK || strings.TrimSpace(csvTemplate.Body.String()) != strings.Join(operations.ImportColumns(operations.ImportOperations), ",") {
		t.Fatalf("CSV template: %d %q", csvTemplate.Code, csvTemplate.Body.String())
	}
	if w := b.Get(t, "/operations/import/template-pets.csv"); w.Code != http.StatusNotFound {
		t.Fatalf("unknown template: %d", w.Code)
	}
	xlsx := b.Get(t, "/operations/import/template.xlsx")
	if xlsx.Code != http.StatusOK {
		t.Fatalf("XLSX template: %d", xlsx.Code)
	}

	bad := fillTemplate(t, xlsx.Body.Bytes(), map[operations.ImportKind][][]string{
		operations.ImportOperations: operationstest.Sheet(operations.ImportOperations,
			map[string]string{"reference": "P/1", "name": "Operation <Lark>", "lead_officer": sup.Email, "status": "live", "started_on": "2099-01-01", "exploitation": "labour"}),
		operations.ImportVictims: operationstest.Sheet(operations.ImportVictims,
			map[string]string{"operation_reference": "P/1", "reference": "V1", "age_band": "25-34", "sex": "x", "nationality": "<script>"}),
	})
	send := func(file []byte, dry string) *bytes.Buffer {
		w := b.Upload(t, "/operations/import", url.Values{"dry_run": {dry}}, apitest.File{Field: "file", Name: "ops.xlsx", Body: bytes.NewReader(file)})
		want := http.StatusOK
		if strings.Contains(w.Body.String(), "Problems in the file") {
			want = http.StatusUnprocessableEntity
		}
		if w.Code != want {
			t.Fatalf("upload: %d", w.Code)
		}
		return w.Body
	}
	body := send(bad, "true").String()
	for _, want := range []string{"There is a problem", `href="#file"`, "The file has 3 problems", "<code>started_on</code>",
		"<code>sex</code>", "<code>nationality</code>", "must be today or in the past", "Nothing has been saved", "&lt;script&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("error page has no %q", want)
		}
	}
	if strings.Contains(body, "<script>") || countRows(t, a, "operations") != 0 {
		t.Fatal("the error page echoed a cell unescaped, or the file was saved")
	}

	good := fillTemplate(t, xlsx.Body.Bytes(), map[operations.ImportKind][][]string{
		operations.ImportOperations: operationstest.Sheet(operations.ImportOperations,
			map[string]string{"reference": "P/1", "name": "Operation Lark", "lead_officer": sup.Email, "status": "live", "started_on": "2025-01-01", "exploitation": "labour"}),
	})
	body = send(good, "true").String()
	if !strings.Contains(body, "What importing the file would save") || !strings.Contains(body, "0 charges to write.") || countRows(t, a, "operations") != 0 {
		t.Fatalf("check the file: %s", body)
	}
	body = send(good, "false").String()
	if !strings.Contains(body, "Your file has been imported") || !strings.Contains(body, "1 row saved") || !strings.Contains(body, "What was saved") || countRows(t, a, "operations") != 1 {
		t.Fatalf("import: %s", body)
	}

	for _, role := range []string{policies.RoleAnalyst, policies.RoleAdmin} {
		if w := a.As(t, role).Browser().Get(t, "/operations/import"); w.Code != http.StatusForbidden {
			t.Errorf("%s: %d", role, w.Code)
		}
	}
}
