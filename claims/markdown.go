package claims

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/convverify/convverify/internal/atomicfile"
	"github.com/convverify/convverify/optimized"
	"github.com/convverify/convverify/properties"
)

// Titles are the Q&A's section headings.
var Titles = map[int]string{
	1: "卷积有什么特点 (features of convolution)", 2: "不同层次的卷积都提取什么类型的特征 (what each depth extracts)",
	3: "卷积核大小如何选取 (choosing the kernel size)", 4: "卷积感受野的相关概念 (receptive field)",
	5: "网络每一层是否只能用一种尺寸的卷积核 (several kernel sizes per layer)", 6: "1*1卷积的作用 (1×1 convolution)",
	7: "转置卷积的作用 (transposed convolution)", 8: "空洞卷积的作用 (dilated convolution)",
	9: "什么是转置卷积的棋盘效应 (checkerboard artefacts)", 10: "什么是有效感受野 (effective receptive field)",
	11: "分组卷积的相关知识 (grouped convolution)", 12: "什么是可变形卷积？ (deformable convolution)",
	13: "什么是3D卷积？ (3D convolution)", 14: "分析一下卷积层的时间复杂度和空间复杂度 (time and space complexity)",
	15: "AIGC时代一共有多少种主流卷积类型？ (nine kinds of convolution)", 16: "卷积神经网络的本质是什么？ (the essence of CNNs)",
}

// Options configure a report run.
type Options struct {
	Seed   uint64
	Checks int
	IDs    []string
	// Out is the markdown file; figures go next to it.
	Out string
	// Progress receives progress lines (may be nil).
	Progress func(string)
	// Command is the command line to print as the reproduction recipe.
	Command string
	// HTML writes one self-contained HTML file, figures inlined, instead of
	// markdown with PNG files beside it.
	HTML bool
}

// Generate decides the selected claims and writes the report and its figures.
//
// Every file is written through atomicfile (a synced temporary renamed over
// the target), and the markdown only once everything it describes has been
// computed and every figure it links has been written: a run that fails, or
// is killed at any instant of its long computation, leaves the previous
// report whole. (Creating o.Out at the start, as this once did, left the
// committed report at 0 bytes when a run was interrupted.) Each file is
// replaced whole, but not all of them as one: a run killed between two
// figures leaves new figures beside the old markdown, which links the same
// file names.
func Generate(o Options) ([]Decided, error) {
	cs, err := Select(o.IDs)
	if err != nil {
		return nil, err
	}
	// Refuse a folder or a device as the output before the long computation,
	// not after it.
	if err := atomicfile.CheckTarget(o.Out); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	dir := filepath.Dir(o.Out)
	if err := ensureDir(dir); err != nil {
		return nil, fmt.Errorf("output: %w", err)
	}
	ctx := NewContext(o.Seed, o.Checks, dir, o.Progress)
	ctx.FiguresInMemory = o.HTML
	start := time.Now()
	ds := Run(ctx, cs)
	props := runAllProperties(ctx, o.IDs == nil)
	// A report whose figures failed would link missing or stale images: keep
	// the old one and say which figure failed.
	if err := ctx.FigureErr(); err != nil {
		return ds, fmt.Errorf("%w; %s left unchanged", err, o.Out)
	}
	took := time.Since(start)
	err = atomicfile.Write(o.Out, func(w io.Writer) error {
		if o.HTML {
			var md strings.Builder
			if err := Write(&md, ds, props, o, took, ctx); err != nil {
				return err
			}
			if err := WriteHTML(w, md.String(), ctx.FigureData); err != nil {
				return err
			}
		} else if err := Write(w, ds, props, o, took, ctx); err != nil {
			return err
		}
		return writeHook(w)
	})
	if err != nil {
		return ds, fmt.Errorf("output %s: %w", o.Out, err)
	}
	return ds, nil
}

// writeHook runs after the markdown is written to the temporary and before it
// is committed; tests set it to fail there, as a full disk or a signal would.
var writeHook = func(io.Writer) error { return nil }

// propertyRow is one property's outcome for the appendix.
type propertyRow struct {
	P properties.Property
	O properties.Outcome
}

// runAllProperties runs every property (those the claims did not already
// run) for the appendix, when the whole report is generated.
func runAllProperties(ctx *Context, all bool) []propertyRow {
	var rows []propertyRow
	for _, p := range properties.All() {
		if _, done := ctx.outcomes[p.Name]; !done && !all {
			continue
		}
		o, _ := ctx.Property(p.Name)
		rows = append(rows, propertyRow{p, o})
	}
	return rows
}

// Machine describes where the report ran.
func Machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %s/%s, %d logical CPUs", model, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
}

func anchor(id string) string { return strings.ToLower(id) }

// ReproCommand is the command, as it runs from a clone of the repository,
// that decides one claim again with the report's seed and checks.
func ReproCommand(id string, seed uint64, checks int) string {
	return fmt.Sprintf("go run ./cmd/convverify report --seed %d --checks %d --claims %s -o /tmp/convverify-report/FINDINGS.md", seed, checks, id)
}

// isPropertyLine tells the boilerplate line a property adds to a claim's
// details (its name, checks, seed and outcome), which the report folds away.
func isPropertyLine(l string) bool { return strings.HasPrefix(l, "Property `") }

// Write renders the report as markdown. ctx gives the figures' captions (nil:
// none).
func Write(w io.Writer, ds []Decided, props []propertyRow, o Options, took time.Duration, ctx *Context) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("# Findings: the convolution Q&A, checked by code")
	p("")
	p("Every checkable statement of [the convolution Q&A](../docs/seed/convolution-qa.md) (16 sections, in Chinese) is quoted below, paraphrased in English, and decided by code in this repository when the report runs: the verdicts and every number are computed, none is typed in. Quotes render the Q&A's LaTeX as plain symbols; `…` marks omitted text. Entries marked *our extension* check a statement the Q&A does not make; they never count among its errors.")
	p("")
	count := map[Verdict]int{}
	ext := 0
	var wrong, imprecise []Decided
	for _, d := range ds {
		if d.Extension {
			ext++
			continue
		}
		count[d.Verdict]++
		switch d.Verdict {
		case Refuted:
			wrong = append(wrong, d)
		case HoldsWithCaveat:
			imprecise = append(imprecise, d)
		}
	}
	p("**%d claims of the Q&A: %d hold, %d hold with a caveat, %d are refuted, %d are not checkable offline; and %d extensions of ours.**", len(ds)-ext, count[Holds], count[HoldsWithCaveat], count[Refuted], count[NotCheckable], ext)
	p("")
	if len(wrong)+len(imprecise) > 0 {
		p("## Answer key")
		p("")
		p("One line per statement of the Q&A that is wrong or imprecise: *what it says* → what is true, with the numbers. The details follow below.")
		p("")
		key := func(title string, list []Decided) {
			if len(list) == 0 {
				return
			}
			p("**%s**", title)
			p("")
			for _, d := range list {
				p("- **§%d** *%s* → %s ([%s](#%s))", d.Section, strings.TrimSuffix(d.Paraphrase, "."), d.Evidence, d.ID, anchor(d.ID))
			}
			p("")
		}
		key(fmt.Sprintf("Wrong (%d)", len(wrong)), wrong)
		key(fmt.Sprintf("Imprecise: true with a caveat (%d)", len(imprecise)), imprecise)
	}
	p("## How this report was made")
	p("")
	p("- Reproduce, from a clone: `%s`", o.Command)
	p("- Seed %d, %d rapid checks per property; %s", o.Seed, o.Checks, runtime.Version())
	p("- Machine: %s", Machine())
	p("- Kernels of the optimized variants (checked by VariantsMatchReference): `%s`", optimized.KernelInfo())
	p("- Generated %s in %.1f s", time.Now().UTC().Format("2006-01-02 15:04 UTC"), took.Seconds())
	p("")
	p("## Summary")
	p("")
	p("| § | Claim | Verdict | Evidence |")
	p("|---:|---|---|---|")
	for _, d := range ds {
		p("| %d | [%s](#%s) | %s | %s |", d.Section, cell(d.Paraphrase), anchor(d.ID), badge(d), cell(d.Evidence))
	}
	p("")
	figNo := map[string]int{}
	sec := 0
	for _, d := range ds {
		if d.Section != sec {
			sec = d.Section
			p("## %d. %s", sec, Titles[sec])
			p("")
		}
		p("### %s", d.ID)
		p("")
		p("> %s", d.Quote)
		p("")
		p("*%s*", d.Paraphrase)
		p("")
		p("**Verdict: %s.** %s", badge(d), d.Evidence)
		p("")
		var propLines []string
		var body []string
		for _, l := range d.Details {
			if isPropertyLine(l) {
				propLines = append(propLines, l)
			} else {
				body = append(body, l)
			}
		}
		writeLines(p, body)
		for _, f := range d.Figures {
			if n, seen := figNo[f]; seen {
				p("(Figure %d above shows this too.)", n)
				p("")
				continue
			}
			figNo[f] = len(figNo) + 1
			caption := ""
			if ctx != nil {
				caption = ctx.Caption(f)
			}
			p("![Figure %d](%s)", figNo[f], f)
			p("")
			p("*Figure %d. %s*", figNo[f], caption)
			p("")
		}
		for _, ce := range d.Counterexamples {
			p("Shrunk counterexample of `%s`: %s", ce.Property, ce.Message)
			p("")
			p("```")
			for _, dr := range ce.Draws {
				p("%s", dr)
			}
			p("```")
			p("")
			p("Reproduce with:")
			p("")
			p("```sh")
			p("%s", ce.Repro)
			p("```")
			p("")
		}
		p("<details><summary>How this is checked</summary>")
		p("")
		p("Checked by: %s.", d.Check)
		p("")
		for _, l := range propLines {
			p("%s", l)
			p("")
		}
		p("Decide this claim again:")
		p("")
		p("```sh")
		p("%s", ReproCommand(d.ID, o.Seed, o.Checks))
		p("```")
		p("")
		p("</details>")
		p("")
	}
	if len(props) > 0 {
		p("## Appendix: every property")
		p("")
		p("| Property | States | Outcome |")
		p("|---|---|---|")
		for _, r := range props {
			out := "passed"
			switch {
			case r.P.Refutes && r.O.Failed:
				out = "counterexample found (expected): `" + cell(strings.Join(r.O.Draws, "; ")) + "`"
			case r.P.Refutes:
				out = "**no counterexample found**"
			case r.O.Failed:
				out = "**FAILED**: " + cell(firstLine(r.O.Message))
			}
			p("| `%s` | %s | %s |", r.P.Name, cell(r.P.Doc), out)
		}
		p("")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeLines writes detail lines: paragraphs separated by blank lines, and
// table rows kept together.
func writeLines(p func(string, ...any), lines []string) {
	for i, l := range lines {
		if l == "" {
			continue // blocks are separated below
		}
		p("%s", l)
		table := strings.HasPrefix(l, "|")
		next := i+1 < len(lines) && strings.HasPrefix(lines[i+1], "|")
		if !(table && next) {
			p("")
		}
	}
}

// badge is the verdict marker, with the extension mark.
func badge(d Decided) string {
	if d.Extension {
		return d.Verdict.Badge() + " (our extension)"
	}
	return d.Verdict.Badge()
}

// cell escapes text for a markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}
