package bench

import (
	"bufio"
	"os"
	"strconv"
	"strings"
)

// cpuTicks reads the machine's CPU time from /proc/stat's first line: the
// ticks stolen by the hypervisor (other guests ran on our vCPUs) and the
// total of every state; ok is false where it cannot be read.
func cpuTicks() (steal, total uint64, ok bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, 0, false
	}
	return parseCPULine(sc.Text())
}

// parseCPULine reads "cpu  user nice system idle iowait irq softirq steal
// guest guest_nice": steal is the 8th count. guest and guest_nice are
// already inside user and nice, so they are not added to the total.
func parseCPULine(line string) (steal, total uint64, ok bool) {
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, 0, false
	}
	for i := 1; i <= 8; i++ {
		v, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += v
		if i == 8 {
			steal = v
		}
	}
	return steal, total, true
}
