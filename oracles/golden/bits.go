package golden

import "math"

func float32FromBits(u uint32) float32 { return math.Float32frombits(u) }
