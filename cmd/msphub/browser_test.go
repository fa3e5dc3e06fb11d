//go:build browser

// Browser tests: MSP Hub served for real, driven by a real headless Chromium, each page checked
// by axe-core against WCAG 2.2 A and AA. `make test` runs them with -tags browser and sets
// MSPHUB_TEST_CHROMIUM; without it they fail.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/msptp/msphub/api/apitest"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/gin-gonic/gin"
)

// browser is one headless Chromium tab on a running MSP Hub.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string
	axe  string
	js   bool // the page's own scripts run

	mu       sync.Mutex
	problems []string // console errors, CSP violations and uncaught exceptions
}

// newBrowser starts Chromium with a fresh profile (removed afterwards). With js false, the tab
// runs no script at all, as on a locked-down machine.
func newBrowser(t *testing.T, base string, js bool) *browser {
	t.Helper()
	exe := os.Getenv("MSPHUB_TEST_CHROMIUM")
	if exe == "" {
		t.Fatal("MSPHUB_TEST_CHROMIUM is not set: run the browser tests with `make test`")
	}
	axe, err := os.ReadFile("../../frontend/node_modules/axe-core/axe.min.js")
	if err != nil {
		t.Fatalf("axe-core missing (run make assets): %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		// Chromium keeps its singleton socket under TMPDIR and leaves it when killed; a short
		// directory of our own keeps the socket path under the 107-byte limit.
		chromedp.Env("TMPDIR="+shortTempDir(t)),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancelTab(); cancelAlloc() })

	b := &browser{t: t, ctx: ctx, base: base, axe: string(axe), js: js}
	if err := b.watch(); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	b.scripts(js)
	return b
}

// watch records the tab's console errors, CSP violations and uncaught exceptions as problems.
func (b *browser) watch() error {
	err := chromedp.Listen(b.ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			b.problem(fmt.Sprintf("uncaught exception: %s %v", ev.ExceptionDetails.Text, ev.ExceptionDetails.Exception))
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				b.problem(fmt.Sprintf("console.error: %v", ev.Args))
			}
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError && !strings.Contains(ev.Entry.Text, "status of 404") && !strings.Contains(ev.Entry.Text, "status of 500") {
				b.problem("browser log: " + ev.Entry.Text)
			}
		}
	})
	if err != nil {
		return err
	}
	for _, enable := range []cdp.Command[cdp.Empty, cdp.Empty]{log.Enable, runtime.Enable} {
		if _, err := chromedp.Call(b.ctx, enable, cdp.Empty{}); err != nil {
			return err
		}
	}
	return nil
}

func (b *browser) problem(p string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.problems = append(b.problems, p)
}

// scripts turns the page's own JavaScript on or off.
func (b *browser) scripts(on bool) {
	b.t.Helper()
	_, err := chromedp.Call(b.ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: !on})
	if err != nil {
		b.t.Fatal(err)
	}
}

// visit loads path, waits for the page and returns the HTTP status of the document.
func (b *browser) visit(path string) int {
	b.t.Helper()
	resp, err := chromedp.Run(b.ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("visit %s: %v", path, err)
	}
	return int(resp.Status)
}

// text returns the visible text of the first element matching the CSS selector.
func (b *browser) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

type violation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// checkAccessibility runs axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules on the current page.
func (b *browser) checkAccessibility(page string) {
	b.t.Helper()
	const run = `axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']}})
		.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' '))}))))`
	// A page loaded without JavaScript keeps its no-JavaScript DOM: turning scripts on now runs
	// none of the page's own, only lets axe's promises and timers work.
	b.checkReflow(page)
	if !b.js {
		b.scripts(true)
		defer b.scripts(false)
	}
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[chromedp.Void](b.axe)); err != nil {
		b.t.Fatalf("load axe on %s: %v", page, err)
	}
	out, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe on %s: %v", page, err)
	}
	var vs []violation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatal(err)
	}
	for _, v := range vs {
		b.t.Errorf("%s: axe %s (%s): %s at %v", page, v.ID, v.Impact, v.Help, v.Nodes)
	}
}

// checkReflow fails when the page scrolls sideways in a window 320 CSS pixels wide (WCAG 1.4.10
// reflow): wide tables must scroll inside their own region instead.
func (b *browser) checkReflow(page string) {
	b.t.Helper()
	const measure = `(() => {
		const client = document.documentElement.clientWidth;
		const wide = Array.from(document.querySelectorAll('body *'))
			.filter(e => e.getBoundingClientRect().right > client + 1 && (!e.closest('.app-table-scroll') || getComputedStyle(e).position === 'absolute'))
			.slice(0, 3).map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : '') + ' "' + e.textContent.trim().slice(0, 30) + '"');
		return {scroll: document.documentElement.scrollWidth, client, wide};
	})()`
	type widths struct {
		Scroll, Client int
		Wide           []string
	}
	if _, err := chromedp.Call(b.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{Width: 320, Height: 640, DeviceScaleFactor: 1}); err != nil {
		b.t.Fatalf("narrow the window for %s: %v", page, err)
	}
	got, err := chromedp.Run(b.ctx, chromedp.Evaluate[widths](measure))
	if _, cerr := chromedp.Call(b.ctx, emulation.ClearDeviceMetricsOverride, cdp.Empty{}); cerr != nil && err == nil {
		err = cerr
	}
	if err != nil {
		b.t.Fatalf("measure %s at 320 px: %v", page, err)
	}
	if got.Scroll > got.Client {
		b.t.Errorf("%s: scrolls sideways at 320 px (%d px wide in a %d px window; too wide: %v)", page, got.Scroll, got.Client, got.Wide)
	}
}

// noProblems fails on any console error, CSP violation or uncaught exception seen so far.
func (b *browser) noProblems() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("%s", p)
	}
	b.problems = nil
}

// testSite serves MSP Hub, built from configuration as serve builds it, plus a route that fails
// so the 500 page can be seen in the browser.
func testSite(t *testing.T) string {
	t.Helper()
	a := buildApp(t, backendEnv(t))
	a.engine.GET("/test-failure", func(*gin.Context) { panic("deliberate failure for the 500 page") })
	srv := httptest.NewServer(a.engine)
	t.Cleanup(srv.Close)
	return srv.URL
}

// buildApp builds MSP Hub from the configuration in vars as serve builds it, closed when the test
// ends.
func buildApp(t *testing.T, vars map[string]string) *app {
	t.Helper()
	cfg, err := loadServeConfig(nil, env(vars), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(context.Background(), &cfg, newLogger(&apitest.SyncBuffer{}, "info"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.close)
	return a
}

func TestBrowserErrorAndStartPages(t *testing.T) {
	base := testSite(t)
	pages := []struct {
		path, heading string
		status        int
	}{
		{"/", "MSP Hub", 200},
		{"/no-such-page", "Page not found", 404},
		{"/test-failure", "Sorry, there is a problem with the service", 500},
	}
	for _, js := range []bool{true, false} {
		b := newBrowser(t, base, js)
		for _, p := range pages {
			if status := b.visit(p.path); status != p.status {
				t.Errorf("%s: status %d, want %d", p.path, status, p.status)
			}
			if got := b.text("h1"); got != p.heading {
				t.Errorf("%s (js %v): h1 %q, want %q", p.path, js, got, p.heading)
			}
			if got := b.text(".govuk-service-navigation__service-name"); got != "MSP Hub" {
				t.Errorf("%s: service name %q", p.path, got)
			}
			if js {
				enhanced, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](`document.body.classList.contains('govuk-frontend-supported')`))
				if err != nil {
					t.Fatal(err)
				}
				if !enhanced {
					t.Errorf("%s: GOV.UK Frontend did not initialise", p.path)
				}
			}
			b.checkAccessibility(p.path)
		}
		b.noProblems()
	}
}

// shortTempDir is a temporary directory with a short path, removed when the test ends.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "chr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
