package perf

import (
	"bytes"
	"os"
	"testing"
)

// FuzzReadAndCompare: benchmark files come from other machines and other
// tools. Whatever the bytes, Read returns a Set or an error, and Compare
// and Completeness of what it read never panic.
func FuzzReadAndCompare(f *testing.F) {
	if b, err := os.ReadFile("../benchdata/baseline-avx512.txt"); err == nil {
		f.Add(b[:min(len(b), 4096)])
	}
	f.Add([]byte("# convverify-count: 2\nBenchmarkX 10 100 ns/op 3 GFLOP/s\nBenchmarkX 10 110 ns/op\n"))
	f.Add([]byte("# convverify-count: 0\nBenchmarkX 1 1 ns/op\n"))
	f.Add([]byte("Unit GFLOP/s better=higher\nBenchmarkY-2 1 NaN ns/op\n"))
	f.Add([]byte("# load-average: 9 1 1\ngomaxprocs: 2\nBenchmarkPeak/unit=x 1 1 ns/op 0 GFLOP/s\nBenchmarkConv/a 1 1 ns/op 2 GFLOP/s\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Read(bytes.NewReader(data), "fuzz.txt")
		if err != nil {
			return
		}
		if len(s.Names) == 0 {
			t.Fatal("Read returned a Set without results and no error")
		}
		for _, metric := range []string{"sec/op", "GFLOP/s"} {
			Completeness(s, s, metric, 0.05)
			Compare(s, s, Options{Metric: metric, Alpha: 0.05, Threshold: 0.05})
			if rep, err := Compare(s, s, Options{Metric: metric, Alpha: 0.05, Threshold: 0.05, Normalize: "peak"}); err == nil {
				rep.Geomean()
			}
		}
		EnvWarnings(s, s)
		s.Load1()
	})
}

// TestNonFiniteValuesRefused: the input that made compare hang.
func TestNonFiniteValuesRefused(t *testing.T) {
	for _, v := range []string{"NaN", "+Inf", "-3"} {
		_, err := Read(bytes.NewReader([]byte("BenchmarkY-2 1 "+v+" ns/op\n")), "f.txt")
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte("f.txt:1")) {
			t.Errorf("value %s: err %v, want a refusal naming f.txt:1", v, err)
		}
	}
}
