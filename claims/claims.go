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

	"github.com/convverify/convverify/properties"
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
	// Extension marks a statement the Q&A does not make, which we check
	// because it is the natural reading of one it does: its verdict is ours,
	// and it never enters the answer key of what the Q&A gets wrong.
	Extension bool
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
	// FiguresInMemory keeps drawn figures in memory only (FigureData), for
	// an HTML report that inlines them, instead of writing them to FigDir.
	FiguresInMemory bool

	outcomes map[string]properties.Outcome
	peak     float64 // one core's GFLOP/s from gemm.PeakProbe, once measured
	figures  map[string]error
	figData  map[string][]byte
	captions map[string]string
	// against names the properties of the claim being decided that did not
	// give their expected outcome.
	against []string
}

// NewContext returns a context for a run.
func NewContext(seed uint64, checks int, figDir string, progress func(string)) *Context {
	return &Context{Seed: seed, Checks: checks, FigDir: figDir, Progress: progress,
		outcomes: map[string]properties.Outcome{}, figures: map[string]error{},
		figData: map[string][]byte{}, captions: map[string]string{}}
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
	ce.Repro = Repro(name, c.Seed, c.Checks)
	if prob := o.Counterexample("p"); prob != "" {
		ce.Repro += "\n# not the property: a debugging aid that runs the shrunk problem through the reference, the oracles and every variant\ngo run ./cmd/convverify check " + prob
	}
	return ce
}

// Repro is the go test command that runs the named property from the
// report's seed with its number of checks, so rapid draws, finds and shrinks
// the same counterexample (a property that refutes a claim passes there and
// logs it; one that should hold fails and names its fail file).
func Repro(property string, seed uint64, checks int) string {
	return fmt.Sprintf("# rerun the property from the report's seed and checks: rapid finds and shrinks the same case\n"+
		"go test ./properties -run '%s' -rapid.seed=%d -rapid.checks=%d -v", properties.RunPattern(property), seed, checks)
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
	ctx.against = nil
	defer func() {
		if p := recover(); p != nil {
			r = Result{Verdict: Refuted, Evidence: fmt.Sprintf("the check itself panicked: %v", p)}
		}
	}()
	r = c.Decide(ctx)
	return againstExpectation(r, ctx.against)
}

// againstExpectation marks the evidence of a claim whose properties did not
// come out as expected: the evidence sentences of property-backed claims
// describe what the properties establish when they pass (or, for one that
// refutes, when rapid finds a counterexample), so they must not stand
// unqualified when a property says otherwise.
func againstExpectation(r Result, props []string) Result {
	if len(props) == 0 {
		return r
	}
	r.Evidence = fmt.Sprintf("**property %s did not give its expected outcome (see below), so this is not established:** %s",
		strings.Join(props, ", "), r.Evidence)
	return r
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
		if !good {
			c.against = append(c.against, n)
		}
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

// vsQA says how a recomputed figure compares with the Q&A's: that it matches
// (ok, decided by the caller's tolerance), or by how much it is off.
func vsQA(ok bool, qa, got float64, format func(float64) string) string {
	if ok {
		return fmt.Sprintf("the Q&A's %s matches", format(qa))
	}
	dir := "too high"
	if qa < got {
		dir = "too low"
	}
	return fmt.Sprintf("the Q&A's %s is %s (%s the recomputed figure)", format(qa), dir, ratio(qa, got))
}

// ratio says what multiple of b a is: "9.98×", "0.979×".
func ratio(a, b float64) string {
	if b == 0 {
		return "against zero"
	}
	return fmt.Sprintf("%.3g×", a/b)
}

// invertible says whether an n×m matrix of rank r is invertible.
func invertible(r, n, m int) string {
	if r == n && r == m {
		return "is invertible"
	}
	return "is not invertible"
}

// invertibleVerdict judges "convolution is not invertible" from whether a
// stride-1 'same' conv is invertible and a stride-2 one is not.
func invertibleVerdict(sameInvertible, stridedSingular bool) string {
	switch {
	case sameInvertible && stridedSingular:
		return "So 'convolution is not invertible' is false in general and holds for convs that reduce the size or the channels."
	case sameInvertible:
		return "So here even the strided conv is invertible: 'convolution is not invertible' is false for both."
	case stridedSingular:
		return "Both are singular here, as the Q&A says."
	}
	return "The stride-1 conv is singular here, the stride-2 one is not."
}

// sizeNote says whether the size comes back without output padding.
func sizeNote(collide bool, back int) string {
	if collide {
		return fmt.Sprintf(": the size comes back only with output padding (6 needs %d)", 6-back)
	}
	return ": each input size has its own output size here"
}

// evenness names a set of distinct overlap counts.
func evenness(distinct []float64) string {
	if len(distinct) == 1 {
		return "uniform"
	}
	return "uneven"
}

// restricted says whether a set of 5×5 kernels of lower dimension than 25
// misses almost all of them.
func restricted(lower bool) string {
	if lower {
		return "a restricted set: almost no 5×5 kernel is in it"
	}
	return "full-dimensional: not a restriction"
}

// fullFrom says from which number of intermediate channels the reachable
// single-channel 5×5 kernels are full-dimensional (0: none of those tried).
func fullFrom(m int) string {
	if m == 0 {
		return "none of these reaches the full 25 dimensions"
	}
	return fmt.Sprintf("with one input and one output channel, from M = %d intermediate channels on the reachable 5×5 kernels form a full-dimensional set (in the linear case)", m)
}
