package claims

import (
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"regexp"
	"strings"
)

// WriteHTML renders the report's markdown as one self-contained HTML page:
// figures are inlined as data: URIs (figure returns a PNG by file name), so
// the file can be mailed or opened anywhere. It understands the markdown
// Write produces, not markdown in general: headings, paragraphs, block
// quotes, lists, tables, fenced code, images alone on a line, the
// <details> lines, and inline code, bold, italic and links.
func WriteHTML(w io.Writer, md string, figure func(name string) []byte) error {
	var b strings.Builder
	b.WriteString(htmlHead)
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); {
		l := lines[i]
		switch {
		case strings.TrimSpace(l) == "":
			i++
		case strings.HasPrefix(l, "```"):
			j := i + 1
			var code []string
			for j < len(lines) && !strings.HasPrefix(lines[j], "```") {
				code = append(code, html.EscapeString(lines[j]))
				j++
			}
			fmt.Fprintf(&b, "<pre><code>%s</code></pre>\n", strings.Join(code, "\n"))
			i = j + 1
		case strings.HasPrefix(l, "#"):
			level := len(l) - len(strings.TrimLeft(l, "#"))
			text := strings.TrimSpace(l[level:])
			id := ""
			if level == 3 {
				id = fmt.Sprintf(" id=%q", anchor(text))
			}
			fmt.Fprintf(&b, "<h%d%s>%s</h%d>\n", level, id, inline(text), level)
			i++
		case strings.HasPrefix(l, "<details>") || strings.HasPrefix(l, "</details>"):
			b.WriteString(strings.Replace(l, "<summary>", "<summary>", 1) + "\n")
			i++
		case strings.HasPrefix(l, "> "):
			fmt.Fprintf(&b, "<blockquote lang=\"zh\">%s</blockquote>\n", inline(l[2:]))
			i++
		case strings.HasPrefix(l, "- "):
			b.WriteString("<ul>\n")
			for i < len(lines) && strings.HasPrefix(lines[i], "- ") {
				fmt.Fprintf(&b, "<li>%s</li>\n", inline(lines[i][2:]))
				i++
			}
			b.WriteString("</ul>\n")
		case strings.HasPrefix(l, "|"):
			var rows []string
			for i < len(lines) && strings.HasPrefix(lines[i], "|") {
				rows = append(rows, lines[i])
				i++
			}
			writeTable(&b, rows)
		case imageLine.MatchString(l):
			m := imageLine.FindStringSubmatch(l)
			src := m[2]
			if data := figure(m[2]); data != nil {
				src = "data:image/png;base64," + base64.StdEncoding.EncodeToString(data)
			}
			fmt.Fprintf(&b, "<img src=%q alt=%q>\n", src, m[1])
			i++
		default:
			var para []string
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" && !blockStart(lines[i]) {
				para = append(para, lines[i])
				i++
			}
			if len(para) == 0 { // a line no rule takes: keep it as text
				para, i = []string{l}, i+1
			}
			text := inline(strings.Join(para, " "))
			if strings.HasPrefix(para[0], "*Figure ") {
				fmt.Fprintf(&b, "<p class=\"caption\">%s</p>\n", text)
			} else {
				fmt.Fprintf(&b, "<p>%s</p>\n", text)
			}
		}
	}
	b.WriteString("</body>\n</html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

var imageLine = regexp.MustCompile(`^!\[([^\]]*)\]\(([^)\s]+)\)$`)

func blockStart(l string) bool {
	for _, p := range []string{"```", "#", "> ", "- ", "|", "<details>", "</details>"} {
		if strings.HasPrefix(l, p) {
			return true
		}
	}
	return imageLine.MatchString(l)
}

// splitRow splits a table row on the | that markdown does not escape.
func splitRow(r string) []string {
	r = strings.TrimSpace(r)
	r = strings.TrimPrefix(r, "|")
	r = strings.TrimSuffix(r, "|")
	var cells []string
	var cur strings.Builder
	for i := 0; i < len(r); i++ {
		switch {
		case r[i] == '\\' && i+1 < len(r) && r[i+1] == '|':
			cur.WriteByte('|')
			i++
		case r[i] == '|':
			cells = append(cells, strings.TrimSpace(cur.String()))
			cur.Reset()
		default:
			cur.WriteByte(r[i])
		}
	}
	return append(cells, strings.TrimSpace(cur.String()))
}

func writeTable(b *strings.Builder, rows []string) {
	if len(rows) < 2 {
		for _, r := range rows {
			fmt.Fprintf(b, "<p>%s</p>\n", inline(r))
		}
		return
	}
	align := splitRow(rows[1])
	style := func(i int) string {
		if i < len(align) && strings.HasSuffix(align[i], ":") {
			return ` class="num"`
		}
		return ""
	}
	b.WriteString("<table>\n<thead><tr>")
	for i, c := range splitRow(rows[0]) {
		fmt.Fprintf(b, "<th%s>%s</th>", style(i), inline(c))
	}
	b.WriteString("</tr></thead>\n<tbody>\n")
	for _, r := range rows[2:] {
		b.WriteString("<tr>")
		for i, c := range splitRow(r) {
			fmt.Fprintf(b, "<td%s>%s</td>", style(i), inline(c))
		}
		b.WriteString("</tr>\n")
	}
	b.WriteString("</tbody>\n</table>\n")
}

var (
	codeSpan = regexp.MustCompile("`([^`]+)`")
	linkSpan = regexp.MustCompile(`\[([^\]]+)\]\(([^)\s]+)\)`)
	boldSpan = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	emSpan   = regexp.MustCompile(`\*([^*\s][^*]*)\*`)
)

// inline renders the inline markdown of one block: code spans first (their
// content is taken literally), then links, bold and italic.
func inline(s string) string {
	s = html.EscapeString(s)
	var codes []string
	s = codeSpan.ReplaceAllStringFunc(s, func(m string) string {
		codes = append(codes, "<code>"+m[1:len(m)-1]+"</code>")
		return fmt.Sprintf("\x00%d\x00", len(codes)-1)
	})
	s = linkSpan.ReplaceAllString(s, `<a href="$2">$1</a>`)
	s = boldSpan.ReplaceAllString(s, "<strong>$1</strong>")
	s = emSpan.ReplaceAllString(s, "<em>$1</em>")
	for i, c := range codes {
		s = strings.Replace(s, fmt.Sprintf("\x00%d\x00", i), c, 1)
	}
	return badges.Replace(s)
}

// badges renders the verdict markers as coloured labels: the emoji of the
// markdown need a colour-emoji font the reader's machine may lack.
var badges = func() *strings.Replacer {
	var pairs []string
	for _, v := range []Verdict{Holds, HoldsWithCaveat, Refuted, NotCheckable} {
		pairs = append(pairs, v.Badge(), fmt.Sprintf(`<span class="badge v%d">%s</span>`, int(v), v.String()))
	}
	return strings.NewReplacer(pairs...)
}()

const htmlHead = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Findings: the convolution Q&amp;A, checked by code</title>
<style>
body { font: 16px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC", sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1.5rem; color: #1b1b1b; background: #fff; }
h1 { font-size: 1.9rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; } h3 { margin-top: 2rem; font-family: ui-monospace, monospace; font-size: 1.05rem; }
blockquote { margin: 1rem 0; padding: .4rem 1rem; border-left: 4px solid #9ab; background: #f4f7f9; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .88rem; width: 100%; }
th, td { border: 1px solid #d5d5d5; padding: .3rem .5rem; vertical-align: top; text-align: left; }
th { background: #f0f0f0; } td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .88em; background: #f3f3f3; padding: 0 .2em; border-radius: 3px; }
pre { background: #f6f8fa; padding: .8rem; overflow-x: auto; border-radius: 4px; } pre code { background: none; padding: 0; }
img { display: block; max-width: 100%; height: auto; margin: 1rem auto .3rem; border: 1px solid #e3e3e3; }
p.caption { font-size: .92rem; color: #444; max-width: 52rem; margin: 0 auto 1.5rem; }
details { margin: .5rem 0 1rem; padding: .3rem .8rem; background: #fbfbfb; border: 1px solid #e6e6e6; border-radius: 4px; }
summary { cursor: pointer; color: #345; }
a { color: #0b5cad; }
.badge { display: inline-block; padding: 0 .45em; border-radius: .7em; font-size: .85em; font-weight: 600; white-space: nowrap; }
.v0 { background: #d8f0dc; color: #1d5e2a; } .v1 { background: #fdf0c8; color: #6b4e00; } .v2 { background: #f9d6d5; color: #8a1c1c; } .v3 { background: #e6e6e6; color: #444; }
</style>
</head>
<body>
`
