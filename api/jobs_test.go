package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/msptp/msphub/api/apitest"
	"github.com/msptp/msphub/models/casefile"
	"github.com/msptp/msphub/models/core"
	"github.com/msptp/msphub/models/guidance"
	"github.com/msptp/msphub/models/identity"
	"github.com/msptp/msphub/models/training"
)

// Administrators see every background job, with its latest run, in the API and on their page:
// before any run, and after a run that worked and one that failed, whose cause stays in the log.
func TestAdminSeesBackgroundJobs(t *testing.T) {
	a := apitest.New(t)
	adm := a.As(t, admin)
	a.Services.Jobs.Register("report-test", 30*time.Minute, func(context.Context) (string, error) {
		return "4 things tidied", nil
	})
	a.Services.Jobs.Register("failing-test", 2*time.Hour, func(context.Context) (string, error) {
		return "", errors.New("password=hunter2 rejected by 10.1.2.3")
	})

	page := adm.Browser().Get(t, "/admin/jobs")
	body := page.Body.String()
	if page.Code != 200 || !strings.Contains(body, "Remove expired sessions") || !strings.Contains(body, "report-test") ||
		!strings.Contains(body, "Not run yet") || !strings.Contains(body, "Every 30 minutes") {
		t.Fatalf("before any run: %d\n%s", page.Code, body)
	}
	if !strings.Contains(body, `href="/admin/jobs"`) {
		t.Error("the navigation does not offer the jobs page to an administrator")
	}

	if _, err := a.Services.Jobs.RunDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	w := a.API(t, adm, "GET", "/api/v1/admin/jobs", "")
	if w.Code != 200 {
		t.Fatalf("API: %d %s", w.Code, w.Body)
	}
	var got struct {
		Jobs []struct {
			Name            string     `json:"name"`
			IntervalSeconds int64      `json:"interval_seconds"`
			NextRunAt       *time.Time `json:"next_run_at"`
			Running         bool       `json:"running"`
			LastRun         *struct {
				RunID   string `json:"run_id"`
				Outcome string `json:"outcome"`
				Summary string `json:"summary"`
				Error   string `json:"error"`
			} `json:"last_run"`
		} `json:"jobs"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	for i, j := range got.Jobs {
		byName[j.Name] = i
		if j.LastRun == nil || j.NextRunAt == nil {
			t.Errorf("%s after a run: %+v", j.Name, j)
		}
	}
	for _, name := range []string{identity.JobExpireSessions, core.JobSweepOrphanedBlobs, guidance.JobRemindGuidanceReviews,
		training.JobExpireTrainingRequests, training.JobRemindTrainingApprovals, training.JobRemindCertificates,
		casefile.JobExpireCPSShares, casefile.JobRemindCPSActions} {
		if _, ok := byName[name]; !ok {
			t.Errorf("%s is not listed", name)
		}
	}
	ok, bad := got.Jobs[byName["report-test"]], got.Jobs[byName["failing-test"]]
	if ok.IntervalSeconds != 1800 || ok.LastRun.Outcome != "success" || ok.LastRun.Summary != "4 things tidied" {
		t.Errorf("report-test: %+v %+v", ok, ok.LastRun)
	}
	if bad.LastRun.Outcome != "failure" || !strings.Contains(bad.LastRun.Error, bad.LastRun.RunID) ||
		strings.Contains(w.Body.String(), "hunter2") || strings.Contains(w.Body.String(), "10.1.2.3") {
		t.Errorf("failing-test: %+v; the API shows the cause: %v", bad.LastRun, strings.Contains(w.Body.String(), "hunter2"))
	}

	body = adm.Browser().Get(t, "/admin/jobs").Body.String()
	for _, want := range []string{"Succeeded", "4 things tidied", "Failed", bad.LastRun.RunID, "0 expired sessions removed"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	if strings.Contains(body, "hunter2") {
		t.Error("the page shows the cause of a failure")
	}
}
