//go:build noasm || !amd64

package gemm

// Without assembly only the portable kernel (portable.go) is registered.
