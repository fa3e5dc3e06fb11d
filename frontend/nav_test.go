package frontend

import (
	"slices"
	"testing"

	"github.com/msptp/msphub/models"
	"github.com/msptp/msphub/models/core"
)

// The navigation offers the sections models says the actor reaches, and marks the section of
// the page being shown. (Which roles reach what is the policy's: models.TestReachFollowsThePolicy.)
func TestNavigationFollowsReach(t *testing.T) {
	signedIn := &core.Actor{MFAPassed: true}
	hrefs := func(r models.Reach) []string {
		var out []string
		for _, item := range navFor(signedIn, r, "/") {
			out = append(out, item.Href)
		}
		return out
	}
	everyone := models.Reach{Guidance: true, Training: true}
	cases := map[string]struct {
		reach models.Reach
		want  []string
	}{
		"officer":      {models.Reach{Guidance: true, Training: true, Operations: true}, []string{"/", "/guidance", "/courses", "/operations", "/notifications", "/account"}},
		"investigator": {models.Reach{Guidance: true, Training: true, CaseFiles: true, Operations: true}, []string{"/", "/guidance", "/courses", "/casefiles", "/operations", "/notifications", "/account"}},
		"analyst":      {everyone, []string{"/", "/guidance", "/courses", "/notifications", "/account"}},
		"supervisor":   {models.Reach{Guidance: true, Training: true, CaseFiles: true, People: true}, []string{"/", "/guidance", "/courses", "/casefiles", "/notifications", "/users", "/account"}},
		"admin":        {models.Reach{Guidance: true, Training: true, People: true, Organisations: true, Jobs: true}, []string{"/", "/guidance", "/courses", "/notifications", "/users", "/organisations", "/admin/jobs", "/account"}},
		"auditor":      {models.Reach{Guidance: true, Training: true, Audit: true}, []string{"/", "/guidance", "/courses", "/notifications", "/audit", "/account"}},
	}
	for name, tc := range cases {
		if got := hrefs(tc.reach); !slices.Equal(got, tc.want) {
			t.Errorf("%s: navigation %v, want %v", name, got, tc.want)
		}
	}
	if got := navFor(&core.Actor{}, everyone, "/"); got != nil {
		t.Errorf("before the second factor the navigation offers %v", got)
	}
	reach := models.Reach{Guidance: true, Training: true, CaseFiles: true}
	for path, section := range map[string]string{"/sessions/4/register": "/courses", "/my-training": "/courses", "/guidance/documents/3": "/guidance", "/casefiles/9/evidence": "/casefiles"} {
		for _, item := range navFor(signedIn, reach, path) {
			if active := item.Active || item.Current; active != (item.Href == section) {
				t.Errorf("on %s, %s active = %v", path, item.Href, active)
			}
		}
	}
}
