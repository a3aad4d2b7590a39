package main

import (
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"
)

// describeWithin runs describe and fails the test if it has not answered by
// the deadline: the counts are closed-form, so any size answers at once (the
// pair loop took 15 s for a 10^9 axis and over ten minutes for a 10^7 kernel).
func describeWithin(t *testing.T, deadline time.Duration, args ...string) (int, string) {
	t.Helper()
	type result struct {
		code int
		out  string
	}
	done := make(chan result, 1)
	go func() {
		code, out := runCLI(t, append([]string{"describe"}, args...)...)
		done <- result{code, out}
	}()
	select {
	case r := <-done:
		return r.code, r.out
	case <-time.After(deadline):
		t.Fatalf("describe %s: no answer within %v", strings.Join(args, " "), deadline)
		return 0, ""
	}
}

// TestDescribeHugeAxisIsFastAndExact: a 10^9 axis with a 3-tap kernel, 1D and
// 2D. The FLOPs are 2·taps·outputs, computed here in big integers: the 1D
// count fits and is printed exactly; the 2D one, 2·9·(10^9−2)² ≈ 1.8·10^19,
// does not fit in int64 (it printed as −446744145709551544) and must be
// refused naming flops.
func TestDescribeHugeAxisIsFastAndExact(t *testing.T) {
	const i, k = 1000000000, 3
	o := big.NewInt(i - k + 1)
	for _, c := range []struct {
		desc string
		rank int
	}{{"mb1ic1oc1iw1000000000kw3", 1}, {"mb1ic1oc1ih1000000000kh3", 2}} {
		flops := big.NewInt(2)
		for r := 0; r < c.rank; r++ {
			flops.Mul(flops, big.NewInt(k))
			flops.Mul(flops, o)
		}
		code, out := describeWithin(t, 2*time.Second, c.desc)
		if flops.IsInt64() {
			// No padding: every tap is inside the input, so benchdnn's count is the dense one.
			if want := flops.String() + " dense, " + flops.String() + " benchdnn"; code != 0 || !strings.Contains(out, want) {
				t.Errorf("describe %s: exit %d, want FLOPs %q in:\n%s", c.desc, code, want, out)
			}
			continue
		}
		if code != exitUsage || !strings.Contains(out, "flops: ") || !strings.Contains(out, "overflows int64") {
			t.Errorf("describe %s: exact FLOPs %v do not fit in int64; exit %d, want %d and an error naming flops:\n%s", c.desc, flops, code, exitUsage, out)
		}
	}
}

// TestDescribeHugeKernelIsFast: a 10^7 kernel on a 10^7 axis, with padding so
// that most (output, tap) pairs fall outside the input. benchdnn's count is
// summed here per output: output o sees the taps k with 0 ≤ o − p + k < i.
func TestDescribeHugeKernelIsFast(t *testing.T) {
	code, out := describeWithin(t, 2*time.Second, "mb1ic1oc1iw10000000kw10000000")
	if code != 0 || !strings.Contains(out, "FLOPs        20000000 dense, 20000000 benchdnn") {
		t.Errorf("exit %d, want 2·10^7 FLOPs for the one output:\n%s", code, out)
	}
	const i, k, p = 10000000, 10000000, 5000000
	var macs int64
	for o := int64(0); o < i-k+2*p+1; o++ {
		macs += min(k, i+p-o) - max(0, p-o)
	}
	code, out = describeWithin(t, 2*time.Second, "mb1ic1oc1iw10000000kw10000000pw5000000")
	dense := 2 * int64(k) * (i - k + 2*p + 1)
	if want := fmt.Sprintf("%d dense, %d benchdnn", dense, 2*macs); code != 0 || !strings.Contains(out, want) {
		t.Errorf("exit %d, want FLOPs %q:\n%s", code, want, out)
	}
}

// TestDescribeCountOverflowNamesField: counts beyond int64 are a usage error
// that names the count, in the long form, in JSON mode and in list mode;
// MACs and FLOPs printed 0 for mb = oc = 2^40 (2^80 wrapped).
func TestDescribeCountOverflowNamesField(t *testing.T) {
	for _, c := range []struct {
		args  []string
		field string
	}{
		{[]string{"mb1099511627776ic1oc1099511627776iw1kw1"}, "macs: "},
		{[]string{"--json", "mb1099511627776ic1oc1099511627776iw1kw1"}, "macs: "},
		{[]string{"--op", "deconv", "mb1099511627776ic1099511627776iw1oc1kw1"}, "macs: "},
		{[]string{"mb1ic1iw5oc1kw3", "mb1ic1oc1ih1000000000kh3"}, "flops: "},
		{[]string{"mb1099511627776ic1iw1073741824oc1kw1sw1073741824"}, "activation_bytes: "},
		{[]string{"--op", "dynamic", "--experts", "1099511627776", "mb1ic1oc1099511627776iw1kw1"}, "params: "},
	} {
		code, out := describeWithin(t, 2*time.Second, c.args...)
		if code != exitUsage || !strings.Contains(out, c.field) || !strings.Contains(out, "overflows int64") {
			t.Errorf("describe %s: exit %d, want %d and an error naming %q:\n%s", strings.Join(c.args, " "), code, exitUsage, c.field, out)
		}
		if strings.Contains(out, "dense,") || strings.Contains(out, `"macs"`) {
			t.Errorf("describe %s printed counts before refusing:\n%s", strings.Join(c.args, " "), out)
		}
	}
}
