package optimized

import "github.com/convverify/convverify/conv"

// DepthwiseChannelsLast says whether depthwise-direct takes its
// channels-last path on p; for tests in package optimized_test.
func DepthwiseChannelsLast(p *conv.Problem) bool { return dwChoose(p) == dwCLPath }
