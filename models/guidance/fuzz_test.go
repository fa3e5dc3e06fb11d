package guidance

import (
	"net/url"
	"strings"
	"testing"
	"unicode"

	"golang.org/x/net/html"
)

// Markdown is rendered by a real Markdown library and then sanitised: no script, event handler,
// javascript: link, style, frame or raw HTML reaches a reader, while ordinary formatting does.
func TestGuidanceMarkdownIsNeutralised(t *testing.T) {
	hostile := []string{
		"<script>alert(1)</script>",
		"[click me](javascript:alert(1))",
		"[click me](JaVaScRiPt:alert(1))",
		"[click me](  javascript:alert(1))",
		"<a href=\"javascript:alert(1)\">x</a>",
		"<img src=x onerror=alert(1)>",
		"![x](javascript:alert(1))",
		"<div onclick=\"alert(1)\">x</div>",
		"<iframe src=\"https://evil.example\"></iframe>",
		"<style>body{display:none}</style>",
		"[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
		"<svg onload=alert(1)>",
		"[x](vbscript:msgbox(1))",
		"<form action=\"https://evil.example\"><input name=password></form>",
		"[x](https://example.org \"title\" onmouseover=alert(1))",
		"<scr<script>ipt>alert(1)</script>",
	}
	for _, src := range hostile {
		out, err := RenderGuidanceMarkdown("Before\n\n" + src + "\n\nAfter")
		if err != nil {
			t.Fatal(err)
		}
		if problem := outsidePolicy(out); problem != "" {
			t.Errorf("%q rendered as %q: %s", src, out, problem)
		}
		if !strings.Contains(out, "After") {
			t.Errorf("%q swallowed the rest of the document: %q", src, out)
		}
	}
	out, err := RenderGuidanceMarkdown("# Heading\n\nSome **bold** and a [link](https://www.gov.uk/).\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<h2 class="govuk-heading-l">Heading</h2>`, `<strong>bold</strong>`, `<a href="https://www.gov.uk/" class="govuk-link" rel="nofollow">link</a>`,
		`<ul class="govuk-list govuk-list--bullet">`, `<table class="govuk-table">`, `<td class="govuk-table__cell">1</td>`} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered Markdown lacks %s:\n%s", want, out)
		}
	}
}

// Whatever Markdown an author writes, the rendered HTML passes the sanitiser's policy: it is
// unchanged by sanitising it again, and every element and attribute in it is one the policy
// allows (links to http, https, mailto or relative addresses only, rel=nofollow, GOV.UK classes
// only where our renderer puts them). The search text made from it has no control characters.
// `make test` runs the seeds (below and in testdata/fuzz); `make fuzz` fuzzes it for FUZZTIME.
func FuzzRenderGuidanceMarkdown(f *testing.F) {
	for _, s := range []string{
		"# Heading\n\nSome **bold** and a [link](https://www.gov.uk/).\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
		"<script>alert(1)</script>", "[click me](javascript:alert(1))", "[click me](JaVaScRiPt:alert(1))",
		"<a href=\"javascript:alert(1)\">x</a>", "<img src=x onerror=alert(1)>", "![x](javascript:alert(1))",
		"<iframe src=\"https://evil.example\"></iframe>", "<style>body{display:none}</style>",
		"[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "<svg onload=alert(1)>",
		"[x](https://example.org \"title\" onmouseover=alert(1))", "<scr<script>ipt>alert(1)</script>",
		"www.example.org/path?q=<b>", "mailto:someone@example.org", "[x](//evil.example/%0a)", "> quote\n>\n> - list in quote",
		"1. one\n2. two\n\n---\n\n~~gone~~ `code` ```\nfenced <b>\n```", "| a |\n|:-:|\n| <i>x</i> |", "[a](<java\nscript:x>)",
		"[a](&#106;avascript:alert(1))", "[a](java&#x09;script:alert(1))", "\x00\x01\x1b[31m", "#######  seven", "\xff\xfe",
	} {
		f.Add(s)
	}
	_, policy := guidanceMarkdown()
	f.Fuzz(func(t *testing.T, src string) {
		out, err := RenderGuidanceMarkdown(src)
		if err != nil {
			t.Fatalf("%q: %v", src, err)
		}
		if again := policy.Sanitize(out); again != out {
			t.Fatalf("%q rendered as\n%q\nwhich the policy changes to\n%q", src, out, again)
		}
		if problem := outsidePolicy(out); problem != "" {
			t.Fatalf("%q rendered as %q: %s", src, out, problem)
		}
		plain, err := guidancePlainText(src)
		if err != nil {
			t.Fatalf("%q: plain text: %v", src, err)
		}
		if i := strings.IndexFunc(plain, unicode.IsControl); i >= 0 {
			t.Fatalf("%q: plain text %q has a control character at %d", src, plain, i)
		}
	})
}

// outsidePolicy names the first element, attribute or link in s that the guidance policy does
// not allow; "" when there is none.
func outsidePolicy(s string) string {
	elements := map[string]bool{"p": true, "br": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "strong": true,
		"em": true, "del": true, "code": true, "pre": true, "blockquote": true, "ul": true, "ol": true, "li": true, "hr": true,
		"table": true, "thead": true, "tbody": true, "tr": true, "th": true, "td": true, "a": true}
	classed := map[string]bool{"p": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true, "a": true, "ul": true, "ol": true,
		"blockquote": true, "hr": true, "table": true, "thead": true, "tr": true, "th": true, "td": true, "code": true}
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return ""
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			tok := z.Token()
			if !elements[tok.Data] {
				return "element " + tok.Data
			}
			for _, a := range tok.Attr {
				switch {
				case a.Key == "class" && classed[tok.Data] && govukClassValues.MatchString(a.Val):
				case a.Key == "align" && (tok.Data == "th" || tok.Data == "td") && (a.Val == "left" || a.Val == "center" || a.Val == "right"):
				case a.Key == "rel" && tok.Data == "a" && a.Val == "nofollow":
				case a.Key == "href" && tok.Data == "a":
					u, err := url.Parse(a.Val)
					if err != nil {
						return "unparseable link " + a.Val
					}
					switch strings.ToLower(u.Scheme) {
					case "", "http", "https", "mailto":
					default:
						return "link " + a.Val
					}
				default:
					return "attribute " + a.Key + "=" + a.Val + " on " + tok.Data
				}
			}
		}
	}
}
