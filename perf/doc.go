// Package perf decides whether a benchmark got slower: it reads two files in
// the Go benchmark format and gives, per benchmark, benchstat's statistics and
// a verdict.
//
// The statistics are benchmath's AssumeNothing, computed by benchmath itself,
// so every number equals what benchstat prints for the same files:
//
//   - Center: the sample median of the n measurements x₍₁₎ ≤ … ≤ x₍ₙ₎.
//   - Confidence interval of the median: the order statistics [x₍ₗ₎, x₍ᵤ₎]
//     with the narrowest l, u such that P(l ≤ B < u) ≥ confidence, B ~
//     Binomial(n, ½) being how many measurements fall below the true median.
//     It makes no assumption on the distribution; at 95 % it needs n ≥ 6,
//     below that a bound is ±∞ (benchmath warns).
//   - Mann-Whitney U test of "old and new come from the same distribution":
//     U = Σᵢⱼ [oldᵢ > newⱼ] + ½[oldᵢ = newⱼ], two-sided p exact for small
//     samples without ties, else the normal approximation with tie correction.
//     With n₁ = n₂ = n the smallest attainable p is 2/C(2n, n): 0.1 at n = 3,
//     0.029 at n = 4, so α = 0.05 needs n ≥ 4 per side ("too few samples").
//
// Verdict, with δ = new/old − 1 on the medians and b = +1 when higher is
// better (GFLOP/s), −1 when lower is (sec/op): the change is significant
// when p ≤ α (benchstat's rule: it prints "~" only when p > α); then
// −b·δ > threshold is a regression, b·δ > threshold an improvement, and
// anything else — not significant, or significant but smaller than the
// threshold — is "~".
//
// Completeness: verdicts on incomplete evidence look like verdicts on
// complete evidence (a benchmark missing from one file has no row, a
// 1-sample row reads "~"), so Completeness lists the gaps a caller should
// refuse: benchmarks only one file measured, and benchmarks with fewer
// samples than their file promised in a "# convverify-count: N" comment line
// (CountPrefix; a comment, because benchstat splits tables on configuration
// values and files of different counts must still compare), or, where a
// file promised nothing (files from before that line), fewer than
// MinSamples(α), the least that can reach a verdict.
//
// Names match exactly, but for one key: bench names a benchmark
// …/workers=N only when its run timed several worker counts, so where just
// one of the files has such names, the other file's names get the key of
// the single count its "workers:" configuration line names (alignWorkers):
// a one-worker baseline then compares with a --workers 1,2 run, whose
// 2-worker benchmarks are only in one file.
//
// Shared machines: EnvWarnings says when two files differ in cpu, kernel,
// GOMAXPROCS or workers, or when a run began at a load average of at least
// HighLoad per CPU. Options.Normalize "peak" compares every benchmark as a
// share of its own run's FMA probe (bench's BenchmarkPeak, of the same
// worker count) and carries the probe's confidence interval into the
// verdict (compareNormalized derives the rule), so a run on a slower or
// busier machine gives no false regressions while a real slowdown larger
// than the threshold plus the probe's uncertainty is still one. Report.Geomean
// is benchstat's geometric-mean row (probes left out).
package perf
