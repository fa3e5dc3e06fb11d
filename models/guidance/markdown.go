package guidance

import (
	"bytes"
	"fmt"
	"html"
	"regexp"
	"strings"
	"sync"
	"unicode"

	"github.com/microcosm-cc/bluemonday"
	"github.com/msptp/msphub/models/core"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Guidance bodies are Markdown. They are rendered by goldmark with raw HTML off (it is dropped,
// not passed through) and then cleaned by a bluemonday policy stricter than its UGC policy: text
// elements, lists, tables and links to http, https and mailto only, and no attribute but href,
// table alignment and the GOV.UK classes our own renderer adds. Whatever an author writes, no
// script, event handler, style, frame, form or javascript: link reaches a reader. Images are not
// shown (the page's security policy would block outside images anyway): attach files instead.

var (
	markdownOnce     sync.Once
	markdownEngine   goldmark.Markdown
	markdownPolicy   *bluemonday.Policy
	plainTextPolicy  *bluemonday.Policy
	govukClassValues = regexp.MustCompile(`^govuk-[a-z0-9_-]+(?: govuk-[a-z0-9_-]+)*$`)
)

func guidanceMarkdown() (goldmark.Markdown, *bluemonday.Policy) {
	markdownOnce.Do(func() {
		markdownEngine = goldmark.New(
			goldmark.WithExtensions(extension.Table, extension.Strikethrough, extension.Linkify),
			goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(govukMarkdownClasses{}, 100))),
		)
		p := bluemonday.NewPolicy()
		p.AllowElements("p", "br", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "code", "pre",
			"blockquote", "ul", "ol", "li", "hr", "table", "thead", "tbody", "tr", "th", "td")
		p.AllowAttrs("href").OnElements("a")
		p.AllowURLSchemes("http", "https", "mailto")
		p.AllowRelativeURLs(true)
		p.RequireParseableURLs(true)
		p.RequireNoFollowOnLinks(true)
		p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|center|right)$`)).OnElements("th", "td")
		p.AllowAttrs("class").Matching(govukClassValues).OnElements("p", "h2", "h3", "h4", "h5", "h6", "a", "ul", "ol",
			"blockquote", "hr", "table", "thead", "tr", "th", "td", "code")
		markdownPolicy = p
		plainTextPolicy = bluemonday.StrictPolicy()
	})
	return markdownEngine, markdownPolicy
}

// RenderGuidanceMarkdown renders a guidance body as safe HTML in the GOV.UK Design System's styles.
// Headings move down a level (the page's own title is the only h1).
func RenderGuidanceMarkdown(src string) (string, error) {
	md, policy := guidanceMarkdown()
	var buf bytes.Buffer
	if err := md.Convert([]byte(src), &buf); err != nil {
		return "", core.Internal(fmt.Errorf("render markdown: %w", err))
	}
	return policy.Sanitize(buf.String()), nil
}

// guidancePlainText is a body as words for the search index and its snippets: the rendered text
// without markup, and without control characters (the snippet highlight marks are control
// characters, so none may come from the text).
func guidancePlainText(src string) (string, error) {
	rendered, err := RenderGuidanceMarkdown(src)
	if err != nil {
		return "", err
	}
	return searchableText(html.UnescapeString(plainTextPolicy.Sanitize(rendered))), nil
}

// searchableText drops control characters (but line breaks and tabs, which become spaces) from
// text going into the search index.
func searchableText(s string) string {
	s = strings.ToValidUTF8(s, " ")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t' || r == '\r':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

// govukMarkdownClasses moves headings down a level and gives elements the Design System's classes.
type govukMarkdownClasses struct{}

var guidanceHeadingClasses = map[int]string{2: "govuk-heading-l", 3: "govuk-heading-m", 4: "govuk-heading-s", 5: "govuk-heading-s", 6: "govuk-heading-s"}

func (govukMarkdownClasses) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			n.Level = min(n.Level+1, 6)
			n.SetAttributeString("class", []byte(guidanceHeadingClasses[n.Level]))
		case *ast.Paragraph:
			n.SetAttributeString("class", []byte("govuk-body"))
		case *ast.List:
			if n.IsOrdered() {
				n.SetAttributeString("class", []byte("govuk-list govuk-list--number"))
			} else {
				n.SetAttributeString("class", []byte("govuk-list govuk-list--bullet"))
			}
		case *ast.Link, *ast.AutoLink:
			n.SetAttributeString("class", []byte("govuk-link"))
		case *ast.Blockquote:
			n.SetAttributeString("class", []byte("govuk-inset-text"))
		case *ast.ThematicBreak:
			n.SetAttributeString("class", []byte("govuk-section-break govuk-section-break--m govuk-section-break--visible"))
		case *east.Table:
			n.SetAttributeString("class", []byte("govuk-table"))
		case *east.TableHeader:
			n.SetAttributeString("class", []byte("govuk-table__head"))
		case *east.TableRow:
			n.SetAttributeString("class", []byte("govuk-table__row"))
		case *east.TableCell:
			if _, head := n.Parent().(*east.TableHeader); head {
				n.SetAttributeString("class", []byte("govuk-table__header"))
			} else {
				n.SetAttributeString("class", []byte("govuk-table__cell"))
			}
		}
		return ast.WalkContinue, nil
	})
}
