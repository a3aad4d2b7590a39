//go:build race

package gemm

// raceEnabled thins the size sweeps, which the race detector slows tenfold.
const raceEnabled = true
