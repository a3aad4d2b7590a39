// Package bench times convolution implementations on layers: the built-in
// benchmark set, descriptors, or the problems of benchdnn shape files.
//
// A run is count rounds; each round times every (implementation, layer,
// workers) triple once, so drift in clock or load spreads over all of them
// instead of biasing whichever ran last. Around the rounds, probes measure
// the machine with as many goroutines as the workers use: the FMA peak
// (GFLOP/s, no memory traffic) before and after, and a copy bandwidth
// (bytes read + written per second over a buffer larger than the caches).
// A layer's share of peak is against the probe of its own worker count, so
// it cannot pass 100 % (beyond noise); a memory-bound layer — its FLOPs per
// byte below the machine's ridge point, peak ÷ bandwidth — is also reported
// against the bandwidth. On a virtual machine the hypervisor may run other
// guests on our vCPUs: the summary states the share of CPU time stolen
// that way during the run (/proc/stat), which stretches timings at random,
// and warns past 2 %. A peer's timings carry the cores its process group
// kept busy (CoresUnit), which shows a thread pool that ignores the
// thread count it was given.
//
// The output is the Go benchmark format (benchstat and convverify compare
// read it), CSV or JSON. Names keep the shape of the original CLI's
// benchmarks, so files compare with the committed baselines:
//
//	BenchmarkPeak/unit=avx512
//	BenchmarkConv/op=conv/impl=im2col-gemm/shape=mb1ic64ih56oc64oh56kh3ph1
//
// with /layer=NAME for a named benchdnn problem, /dir=BWD_D (BWD_W,
// BWD_WB) for a layer timed in a backward direction (WithDir: the
// registry's gradient variants, GradVariants, and peers whose handshake
// lists "grad", on the same values, GradInputs; GFLOP/s from
// conv.Problem.DirFLOPs), /mode=plan for a variant
// timed through its prepared plan (optimized.Variant.Prepare before the
// timer, Plan.Run timed; VariantModes), and /workers=N when several worker
// counts are timed in one run. Every measurement carries allocs/op and
// B/op beside the time.
//
// An implementation is anything satisfying Impl: the registry's variants
// (Variants), and peers (StartPeer): outside implementations reached through
// the worker protocol's timing requests (docs/worker-protocol.md), which
// time their own runs and report the nanoseconds, named impl=peer:NAME. A
// pair whose Measure says Unsupported is skipped with a note.
package bench
