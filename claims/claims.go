// Package claims holds every checkable statement of the convolution Q&A
// (docs/seed/convolution-qa.md) as code: the section, the sentence quoted
// in Chinese, an English paraphrase, and a Decide function that computes the
// verdict and its evidence when it runs. Nothing in a verdict or in a number
// is typed in by hand: the Q&A's own figures are quoted as data, and every
// figure they are compared with is computed from conv's formulas, counted by
// the reference, or decided by a rapid property.
package claims

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"convverify/properties"
)

// Verdict is how a claim fares.
type Verdict int

const (
	Holds Verdict = iota
	HoldsWithCaveat
	Refuted
	NotCheckable
)

func (v Verdict) String() string {
	return [...]string{"holds", "holds with caveat", "refuted", "not checkable offline"}[v]
}

// Badge is the verdict as a short markdown marker for tables.
func (v Verdict) Badge() string {
	return [...]string{"✅ holds", "⚠️ holds with caveat", "❌ refuted", "➖ not checkable offline"}[v]
}

// Claim is one statement of the Q&A.
type Claim struct {
	ID      string
	Section int
	// Quote is the Q&A's sentence, verbatim.
	Quote string
	// Paraphrase says in English what the sentence claims.
	Paraphrase string
	// Check names the code that decides it (functions, properties).
	Check string
	// Decide computes the verdict.
	Decide func(*Context) Result
}

// Result is a decided claim.
type Result struct {
	Verdict Verdict
	// Evidence is one line for the summary table.
	Evidence string
	// Details are markdown lines for the claim's own section.
	Details []string
	// Counterexamples are shrunk rapid counterexamples, with the command
	// that reproduces each.
	Counterexamples []Counterexample
	// Figures are PNG file names (relative to the report) the claim shows.
	Figures []string
}

// Counterexample is a minimised failing case of a property.
type Counterexample struct {
	Property string
	Draws    []string
	Message  string
	// Repro is the command that reproduces it.
	Repro string
}

// Context carries the run's settings and caches property outcomes, so a
// property shared by several claims runs once.
type Context struct {
	Seed   uint64
	Checks int
	// FigDir is where figures are written ("" to skip them).
	FigDir string
	// Progress receives one line per step (may be nil).
	Progress func(string)

	outcomes map[string]properties.Outcome
	figures  map[string]error
}

// NewContext returns a context for a run.
func NewContext(seed uint64, checks int, figDir string, progress func(string)) *Context {
	return &Context{Seed: seed, Checks: checks, FigDir: figDir, Progress: progress,
		outcomes: map[string]properties.Outcome{}, figures: map[string]error{}}
}

func (c *Context) logf(format string, args ...any) {
	if c.Progress != nil {
		c.Progress(fmt.Sprintf(format, args...))
	}
}

// Property runs the named property once per context and returns its outcome
// and whether it is the expected one (pass, or a counterexample for a
// property that refutes a claim).
func (c *Context) Property(name string) (properties.Outcome, bool) {
	p, ok := properties.Lookup(name)
	if !ok {
		panic("claims: no property " + name) // a typo in this package, caught by its tests
	}
	o, done := c.outcomes[name]
	if !done {
		c.logf("property %s (%d checks)", name, c.Checks)
		o = properties.Run(p, c.Checks, c.Seed)
		c.outcomes[name] = o
	}
	return o, o.OK(p)
}

// Counterexample returns the shrunk counterexample of a property that
// failed, with the commands that reproduce it.
func (c *Context) Counterexample(name string) Counterexample {
	o := c.outcomes[name]
	ce := Counterexample{Property: name, Draws: o.Draws, Message: firstLine(o.Message)}
	ce.Repro = fmt.Sprintf("# rerun the property from the same seed: it finds and shrinks the same case\ngo test ./properties -run 'TestProperties/%s$' -rapid.seed=%d -rapid.checks=%d -v", name, c.Seed, c.Checks)
	if prob := o.Counterexample("p"); prob != "" {
		ce.Repro += "\n# the shrunk problem through the reference, the oracles and every variant\ngo run ./cmd/convverify check " + prob
	}
	return ce
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// All returns every claim, ordered by section.
func All() []Claim {
	var cs []Claim
	for _, f := range sections {
		cs = append(cs, f()...)
	}
	sort.SliceStable(cs, func(i, j int) bool { return cs[i].Section < cs[j].Section })
	return cs
}

// Select returns the claims with the given IDs (all for none), or an error
// naming the first unknown ID.
func Select(ids []string) ([]Claim, error) {
	all := All()
	if len(ids) == 0 {
		return all, nil
	}
	byID := map[string]Claim{}
	for _, c := range all {
		byID[c.ID] = c
	}
	var out []Claim
	for _, id := range ids {
		c, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("claims: unknown claim ID %q (run with --claims list to see them)", id)
		}
		out = append(out, c)
	}
	return out, nil
}

// Decided is a claim with its result.
type Decided struct {
	Claim
	Result
}

// Run decides the claims in order, a panic in one becoming its refutation
// rather than the end of the report.
func Run(ctx *Context, cs []Claim) []Decided {
	out := make([]Decided, 0, len(cs))
	for i, c := range cs {
		ctx.logf("[%d/%d] %s", i+1, len(cs), c.ID)
		out = append(out, Decided{Claim: c, Result: decide(ctx, c)})
	}
	return out
}

func decide(ctx *Context, c Claim) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			r = Result{Verdict: Refuted, Evidence: fmt.Sprintf("the check itself panicked: %v", p)}
		}
	}()
	return c.Decide(ctx)
}

// sections registers each file's claims.
var sections []func() []Claim

// --- helpers for Decide functions ---

// either returns a when ok, else b.
func either(ok bool, a, b Verdict) Verdict {
	if ok {
		return a
	}
	return b
}

// num formats an integer with thousands separators.
func num(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// sci formats x as m.mm×10^e.
func sci(x float64) string {
	m, e, _ := strings.Cut(fmt.Sprintf("%.2e", x), "e")
	ex, err := strconv.Atoi(e)
	if err != nil {
		return fmt.Sprintf("%.3g", x)
	}
	sup := strings.NewReplacer("-", "⁻", "0", "⁰", "1", "¹", "2", "²", "3", "³", "4", "⁴", "5", "⁵", "6", "⁶", "7", "⁷", "8", "⁸", "9", "⁹")
	return m + "×10" + sup.Replace(strconv.Itoa(ex))
}

// propertyResult turns one or more properties into a verdict: ok when each
// gives its expected outcome, with the counterexamples of refuting ones.
func (c *Context) properties(names ...string) (ok bool, ces []Counterexample, lines []string) {
	ok = true
	for _, n := range names {
		o, good := c.Property(n)
		p, _ := properties.Lookup(n)
		ok = ok && good
		status := "passed"
		switch {
		case p.Refutes && o.Failed:
			status = "counterexample found (expected: the property states the false claim)"
			ces = append(ces, c.Counterexample(n))
		case p.Refutes:
			status = "NO counterexample found"
		case o.Failed:
			status = "FAILED: " + firstLine(o.Message)
			ces = append(ces, c.Counterexample(n))
		}
		lines = append(lines, fmt.Sprintf("Property `%s` (%s), %d checks, seed %d: %s.", n, p.Doc, c.Checks, c.Seed, status))
	}
	return ok, ces, lines
}
