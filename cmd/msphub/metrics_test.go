package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func scrapeServer(t *testing.T, url string, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	return send(t, req)
}

// The real server serves /metrics to loopback by default; configured with another range and a
// token, loopback is refused and the token (compared whatever its case of "Bearer") lets a
// scraper in from anywhere. Refused, /metrics is a 404 like any unknown address.
func TestMetricsAccessOnTheServer(t *testing.T) {
	t.Run("default: loopback", func(t *testing.T) {
		s := startServer(t, backendEnv(t))
		s.get(t, "/healthz")
		code, body := scrapeServer(t, s.URL, nil)
		if code != http.StatusOK {
			t.Fatalf("scrape from loopback: %d", code)
		}
		for _, want := range []string{`msphub_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 1`, "msphub_db_connections_max", "msphub_audit_chain_length", "go_goroutines", "process_resident_memory_bytes"} {
			if !strings.Contains(body, want) {
				t.Errorf("no %s in the metrics", want)
			}
		}
	})

	t.Run("another range and a token", func(t *testing.T) {
		const token = "metrics-token-0123456789abcdefghijklmnop"
		vars := backendEnv(t)
		vars["MSPHUB_METRICS_ALLOW"] = "192.0.2.0/24, 2001:db8::/32"
		vars["MSPHUB_METRICS_TOKEN"] = token
		s := startServer(t, vars)
		code, unknown := s.get(t, "/no-such-page")
		if code != http.StatusNotFound {
			t.Fatalf("unknown page: %d", code)
		}
		for _, tc := range []struct {
			name   string
			header http.Header
			want   int
		}{
			{name: "loopback without the token", want: 404},
			{name: "the token", header: http.Header{"Authorization": {"Bearer " + token}}, want: 200},
			{name: "the token, lower-case scheme", header: http.Header{"Authorization": {"bearer " + token}}, want: 200},
			{name: "a wrong token", header: http.Header{"Authorization": {"Bearer " + token[:len(token)-1] + "X"}}, want: 404},
			{name: "the token as Basic", header: http.Header{"Authorization": {"Basic " + token}}, want: 404},
			{name: "the token in a cookie", header: http.Header{"Cookie": {"msphub_session=" + token}}, want: 404},
		} {
			t.Run(tc.name, func(t *testing.T) {
				code, body := scrapeServer(t, s.URL, tc.header)
				if code != tc.want {
					t.Fatalf("%d, want %d", code, tc.want)
				}
				if tc.want == 404 && (strings.Contains(body, "msphub_") || !strings.Contains(body, "Page not found") || !strings.Contains(unknown, "Page not found")) {
					t.Errorf("refused, but not as an unknown page is:\n%.300s", body)
				}
				if tc.want == 200 && !strings.Contains(body, `route="/metrics"`) {
					t.Errorf("the metrics do not count the earlier scrapes:\n%.300s", body)
				}
			})
		}
		if strings.Contains(s.logs.String(), token) {
			t.Error("the metrics token is in the log")
		}
	})

	t.Run("settings", func(t *testing.T) {
		for _, tc := range []struct {
			vars map[string]string
			want string
		}{
			{map[string]string{"MSPHUB_METRICS_ALLOW": "10.0.0.0/33"}, "MSPHUB_METRICS_ALLOW (--metrics-allow): \"10.0.0.0/33\" is neither"},
			{map[string]string{"MSPHUB_METRICS_ALLOW": "everyone"}, "MSPHUB_METRICS_ALLOW"},
			{map[string]string{"MSPHUB_METRICS_TOKEN": "short"}, "MSPHUB_METRICS_TOKEN (--metrics-token): must be at least 32 characters"},
		} {
			_, err := loadServeConfig(nil, env(tc.vars), io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: %v, want %q", tc.vars, err, tc.want)
			}
		}
		cfg, err := loadServeConfig(nil, env(map[string]string{"MSPHUB_METRICS_ALLOW": "none", "MSPHUB_METRICS_TOKEN": strings.Repeat("x", 32)}), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		if access, _ := cfg.metricsAccess(); access.Allow == nil || len(access.Allow) != 0 {
			t.Errorf("none: %v, want no address (token only)", access.Allow)
		}
		cfg, _ = loadServeConfig(nil, env(map[string]string{"MSPHUB_METRICS_ALLOW": "10.1.2.3, 10.9.0.0/16"}), io.Discard)
		if access, _ := cfg.metricsAccess(); len(access.Allow) != 2 || access.Allow[0].String() != "10.1.2.3/32" || access.Allow[1].String() != "10.9.0.0/16" {
			t.Errorf("ranges: %v", access.Allow)
		}
	})
}
