package frontend

import (
	"slices"
	"testing"

	"github.com/msptp/msphub/models/core"
)

// The navigation offers each role the sections it works in, and marks the section of the
// page being shown.
func TestNavigationFollowsRoles(t *testing.T) {
	hrefs := func(roles ...string) []string {
		var out []string
		for _, item := range navFor(&core.Actor{Roles: roles, MFAPassed: true}, "/") {
			out = append(out, item.Href)
		}
		return out
	}
	everyone := []string{"/", "/guidance", "/courses", "/notifications", "/account"}
	cases := map[string][]string{
		"officer":      everyone,
		"investigator": {"/", "/guidance", "/courses", "/casefiles", "/notifications", "/account"},
		"cps_liaison":  {"/", "/guidance", "/courses", "/casefiles", "/notifications", "/account"},
		"supervisor":   {"/", "/guidance", "/courses", "/casefiles", "/notifications", "/users", "/account"},
		"auditor":      {"/", "/guidance", "/courses", "/notifications", "/audit", "/account"},
	}
	for role, want := range cases {
		if got := hrefs(role); !slices.Equal(got, want) {
			t.Errorf("%s: navigation %v, want %v", role, got, want)
		}
	}
	if got := navFor(&core.Actor{Roles: []string{"officer"}}, "/"); got != nil {
		t.Errorf("before the second factor the navigation offers %v", got)
	}
	for path, section := range map[string]string{"/sessions/4/register": "/courses", "/my-training": "/courses", "/guidance/documents/3": "/guidance", "/casefiles/9/evidence": "/casefiles"} {
		for _, item := range navFor(&core.Actor{Roles: []string{"investigator"}, MFAPassed: true}, path) {
			if active := item.Active || item.Current; active != (item.Href == section) {
				t.Errorf("on %s, %s active = %v", path, item.Href, active)
			}
		}
	}
}
