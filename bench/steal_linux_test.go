package bench

import "testing"

func TestParseCPULine(t *testing.T) {
	for _, c := range []struct {
		line         string
		steal, total uint64
		ok           bool
	}{
		{"cpu  3716023 199 347305 2069591 17161 0 20752 61038 0 0", 61038, 3716023 + 199 + 347305 + 2069591 + 17161 + 20752 + 61038, true},
		{"cpu 1 2 3 4 5 6 7 8", 8, 36, true}, // an old kernel without the guest columns
		{"cpu 1 2 3 4 5 6 7", 0, 0, false},
		{"cpu0 1 2 3 4 5 6 7 8 9 10", 0, 0, false},
		{"cpu 1 2 3 x 5 6 7 8 9 10", 0, 0, false},
		{"", 0, 0, false},
	} {
		steal, total, ok := parseCPULine(c.line)
		if steal != c.steal || total != c.total || ok != c.ok {
			t.Errorf("parseCPULine(%q) = %d, %d, %v; want %d, %d, %v", c.line, steal, total, ok, c.steal, c.total, c.ok)
		}
	}
	if _, _, ok := cpuTicks(); !ok {
		t.Error("cannot read /proc/stat")
	}
}
