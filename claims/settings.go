package claims

// Settings are the examples our checks choose where the Q&A gives none: the
// channels, sizes and biases behind a claim's numbers. Every claim that uses
// one prints it, so its text states its setting; TestSettingsFollow changes
// each field (the tag names the claims that use it) and checks that their
// text follows. The Q&A's own examples (its 3→64 3×3 layer on 224×224, the
// nn.Conv2d calls of §15) are quoted data, not settings.
type Settings struct {
	// s3-two-3x3-cost: C→C channels on a Size×Size map, 'same' padding.
	TwoThreeC    int `claims:"s3-two-3x3-cost,s3-5x5-factorisation"`
	TwoThreeSize int `claims:"s3-two-3x3-cost"`
	// s5-inception: input and per-branch output channels, map side.
	InceptionIC   int `claims:"s5-inception"`
	InceptionOC   int `claims:"s5-inception"`
	InceptionSize int `claims:"s5-inception"`
	// s6-reduce-dims: a C→C 3×3 conv against 1×1 C→Mid then 3×3 Mid→C, on Size×Size.
	ReduceC    int `claims:"s6-reduce-dims"`
	ReduceMid  int `claims:"s6-reduce-dims"`
	ReduceSize int `claims:"s6-reduce-dims"`
	// s7-not-inverse: side of the single-channel map whose conv matrix is ranked.
	InverseSize int `claims:"s7-not-inverse"`
	// s8-no-pooling: side of the map the dilated stack keeps.
	DilatedSize int `claims:"s8-no-pooling"`
	// §11: a C→N 3×3 conv (parameters do not depend on the map, so the
	// problems are drawn on a 3×3 one).
	GroupC int `claims:"s11-standard-params,s11-grouped-params,s11-depthwise"`
	GroupN int `claims:"s11-standard-params,s11-grouped-params"`
	// s13-cost: C→C channels, a Depth×Size×Size clip against one Size×Size frame.
	ThreeDC     int `claims:"s13-cost"`
	ThreeDDepth int `claims:"s13-cost"`
	ThreeDSize  int `claims:"s13-cost"`
	// s13-output-depth: input depth and kernel depth.
	OutDepthID int `claims:"s13-output-depth"`
	OutDepthKD int `claims:"s13-output-depth"`
	// s15-dilated-params: C→C channels of nn.Conv2d(C, C, 3, dilation=2), with bias.
	DilatedC int `claims:"s15-dilated-params"`
	// s15-pointwise: map side the Q&A's nn.Conv2d(256, 128, 1) runs on.
	PointwiseSize int `claims:"s15-pointwise"`
	// s16-filter-params: the two input sides compared.
	FilterSmall int `claims:"s16-filter-params"`
	FilterLarge int `claims:"s16-filter-params"`
	// Timed claims: each measurement repeats for at least this many
	// milliseconds and keeps the fastest run, on one worker.
	TimingMillis int `claims:"s3-two-3x3-cost,s13-cost,s14-separable-timed"`
}

// DefaultSettings are the settings of the committed report.
func DefaultSettings() Settings {
	return Settings{
		TwoThreeC: 32, TwoThreeSize: 28,
		InceptionIC: 3, InceptionOC: 4, InceptionSize: 9,
		ReduceC: 256, ReduceMid: 64, ReduceSize: 7,
		InverseSize: 8,
		DilatedSize: 64,
		GroupC:      64, GroupN: 128,
		ThreeDC: 16, ThreeDDepth: 8, ThreeDSize: 28,
		OutDepthID: 16, OutDepthKD: 3,
		DilatedC:      16,
		PointwiseSize: 56,
		FilterSmall:   32, FilterLarge: 224,
		TimingMillis: 150,
	}
}

// settings are the settings in use; tests change them.
var settings = DefaultSettings()
