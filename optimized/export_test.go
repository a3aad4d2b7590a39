package optimized

// SetForEachHook sets the hook forEach calls with every task count (nil:
// none) and returns the previous one; for tests in package optimized_test.
func SetForEachHook(f func(n int)) func(n int) {
	old := forEachHook
	forEachHook = f
	return old
}
