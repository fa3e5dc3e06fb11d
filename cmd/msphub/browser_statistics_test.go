//go:build browser

// Browser journey of the national picture: a regional analyst finds it in the navigation, sees
// the region's charts and tables, filters them (a bad filter shows its errors), reads how the
// figures are made and downloads the workbook; a national analyst makes a report and downloads
// the monthly PDF, and chooses the partner edition of the page, its workbook and a report; a
// partner agency's analyst has that edition only. Every page passes axe, with JavaScript on and
// off; an officer is refused.
package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/statistics/statisticstest"
	"github.com/msptp/msphub/policies"
)

func TestBrowserNationalPicture(t *testing.T) {
	bothModes(t, func(t *testing.T, s *identitySite, js bool) {
		ctx := context.Background()
		lead := s.newPerson(t, "Lee Lead", "lee.lead@devon.example.police.uk", "devon-and-cornwall-police", policies.RoleOfficer)
		var devon, dorset int64
		s.app.db.Gorm().Table("organisations").Select("id").Where("slug = ?", "devon-and-cornwall-police").Scan(&devon)
		s.app.db.Gorm().Table("organisations").Select("id").Where("slug = ?", "dorset-police").Scan(&dorset)
		seed := statisticstest.Seeder{DB: s.app.db, User: lead.ID}
		for i := range 8 {
			seed.Insert(t, statisticstest.Operation{Org: devon, Ref: fmt.Sprintf("DC-OPEN-%d", i), Name: fmt.Sprintf("Operation Kestrel %d", i), Started: "2026-10-05", Types: []string{"labour"},
				Victims: []statisticstest.Victim{{Ref: fmt.Sprintf("DC-V-%d", i), Age: "25-34", Sex: "male", Nationality: "AL", Referred: "2026-10-10"}}})
		}
		for i := range 2 {
			seed.Insert(t, statisticstest.Operation{Org: dorset, Ref: fmt.Sprintf("DP-%d", i), Name: fmt.Sprintf("Operation Plover %d", i), Started: "2026-10-07", Types: []string{"sexual"}})
		}
		regional := s.newPerson(t, "Rita Region", "rita.region@rocu.example.police.uk", "south-west-regional-organised-crime-unit", policies.RoleAnalyst)
		national := s.newPerson(t, "Nia Nation", "nia.nation@msp.example.gov.uk", identity.ProgrammeUnitSlug, policies.RoleAnalyst)
		officer := s.newPerson(t, "Olu Officer", "olu.officer@devon.example.police.uk", "devon-and-cornwall-police", policies.RoleOfficer)

		b := newTab(t, s.base, js)
		b.signInAs(regional)
		b.checkPage("national picture", b.press("National picture"), http.StatusOK, "The national picture")
		b.expectPath("national picture", "/statistics")
		if !b.has(`svg[role="img"] title`) || !b.has(`table.govuk-table caption`) {
			t.Error("the dashboard has no accessible chart or table")
		}
		b.expectText("national picture", "#main-content", "Dorset Police")
		b.expectText("national picture", "#main-content", "[c]")
		b.checkPage("national picture, bad filter", b.visit("/statistics?quarter=soon&exploitation=piracy"), http.StatusUnprocessableEntity, "The national picture")
		// A period reaching into this month is cut at the end of the last one, and says so.
		now := time.Now().In(core.London)
		b.checkPage("national picture, to today", b.visit(fmt.Sprintf("/statistics?from-day=1&from-month=%d&from-year=%d&to-day=%d&to-month=%d&to-year=%d",
			int(now.AddDate(0, 0, -now.Day()).Month()), now.AddDate(0, 0, -now.Day()).Year(), now.Day(), int(now.Month()), now.Year())), http.StatusOK, "The national picture")
		b.expectText("national picture, to today", "#main-content .govuk-inset-text", "Figures to the end of "+now.AddDate(0, 0, -now.Day()).Format("January 2006"))
		b.checkPage("how these figures are made", b.visit("/statistics/definitions"), http.StatusOK, "How these figures are made")
		b.checkPage("national picture, filtered", b.visit("/statistics?exploitation=labour"), http.StatusOK, "The national picture")
		name, body := b.download("Download every table as a spreadsheet (XLSX, OFFICIAL-SENSITIVE)")
		if !strings.HasSuffix(name, ".xlsx") || !bytes.HasPrefix(body, []byte("PK")) {
			t.Errorf("the workbook: %s, %d bytes", name, len(body))
		}
		statisticstest.NoRecord(t, "workbook", statisticstest.XLSXText(t, body))
		b.checkPage("reports, regional", b.visit("/statistics/reports"), http.StatusOK, "National picture reports")
		b.done()

		// The national analyst: the monthly job has made the reports; one is made on request.
		if _, err := s.app.services.Statistics.MonthlyReports(ctx); err != nil {
			t.Fatal(err)
		}
		n := b.freshTab()
		n.startAs(national, "reports", "/statistics/reports", http.StatusOK, "National picture reports")
		n.checkPage("reports, one made", n.press("Make a report for your area"), http.StatusOK, "National picture reports")
		labels := n.texts(`a[href$="/download"]`)
		var label string
		for _, l := range labels {
			if strings.Contains(l, "England and Wales") {
				label = l
				break
			}
		}
		if label == "" {
			t.Fatalf("no national report to download among %q", labels)
		}
		name, body = n.download(label)
		if !strings.HasSuffix(name, ".pdf") || !bytes.HasPrefix(body, []byte("%PDF")) || !bytes.Contains(body, []byte("OFFICIAL-SENSITIVE")) {
			t.Errorf("the report: %s, %d bytes", name, len(body))
		}
		statisticstest.NoRecord(t, "report", string(body))

		// The national analyst chooses the partner edition on the page (radios, a GET form that
		// works without JavaScript): the page, its downloads and a report made on request are in
		// it, with no force's row. axe and the 320 px check run on the partner page in this tab.
		n.checkPage("national picture, national", n.visit("/statistics"), http.StatusOK, "The national picture")
		if !n.has(`input[type="radio"][name="edition"][value="law_enforcement"]:checked`) || !n.has(`input[type="radio"][name="edition"][value="partner"]`) {
			t.Fatal("a national analyst is not offered the edition, with the law-enforcement edition chosen")
		}
		n.choose("edition", "partner")
		n.checkPage("national picture, partner edition", n.press("Apply filter"), http.StatusOK, "The national picture")
		n.expectText("national picture, partner edition", ".govuk-caption-l", "Partner edition")
		n.expectText("national picture, partner edition", "#main-content .govuk-inset-text", "Partner edition: no force-level figures")
		if !n.has(`input[name="edition"][value="partner"]:checked`) || n.has("select#force") {
			t.Error("the partner edition's page does not keep its choice, or offers a force")
		}
		for _, row := range n.texts("table.govuk-table tbody th") {
			if row == "Devon and Cornwall Police" || row == "Dorset Police" {
				t.Errorf("the partner edition shows a force's row: %s", row)
			}
		}
		name, body = n.download("Download every table as a spreadsheet (XLSX, OFFICIAL-SENSITIVE)")
		if x := statisticstest.XLSXText(t, body); !strings.Contains(name, "partner-edition") || !strings.Contains(x, "Partner edition: no force-level figures") || strings.Contains(x, "Devon and Cornwall Police") {
			t.Errorf("the partner workbook %s does not say its edition, or names a force", name)
		}
		n.visit("/statistics/reports")
		n.choose("edition", "partner")
		n.checkPage("reports, a partner edition made", n.press("Make a report for your area"), http.StatusOK, "National picture reports")
		n.expectText("reports, a partner edition made", "table.govuk-table", "Partner edition: no force-level figures")
		n.checkPage("how these figures are made, the editions", n.visit("/statistics/definitions#editions"), http.StatusOK, "How these figures are made")
		n.expectText("how these figures are made, the editions", "#main-content", "The two editions")
		n.done()

		// A partner agency's analyst has the partner edition only: no choice is offered.
		glaa := s.newPerson(t, "Gia Glaa", "gia.glaa@glaa.example.gov.uk", "gangmasters-and-labour-abuse-authority", policies.RoleAnalyst)
		g := b.freshTab()
		g.startAs(glaa, "national picture, partner agency", "/statistics", http.StatusOK, "The national picture")
		g.expectText("national picture, partner agency", ".govuk-caption-l", "Partner edition")
		if g.has(`input[name="edition"]`) {
			t.Error("a partner agency's analyst is offered a choice of edition")
		}
		g.done()

		// An officer is not offered the national picture, and is refused it.
		b.expectRefused(officer, "national picture, as an officer", "/statistics")
	})
}
