package optimized

import "github.com/convverify/convverify/conv"

// DepthwiseChannelsLast says whether depthwise-direct takes its
// channels-last path on p; for tests in package optimized_test.
func DepthwiseChannelsLast(p *conv.Problem) bool { return dwChoose(p) == dwCLPath }

// ForceDepthwiseOwnPaths makes depthwise take its 3×3 and channels-last
// paths where they apply on any machine (dwForceOwn) until the returned
// function restores the rule.
func ForceDepthwiseOwnPaths() (restore func()) {
	old := dwForceOwn
	dwForceOwn = true
	return func() { dwForceOwn = old }
}
