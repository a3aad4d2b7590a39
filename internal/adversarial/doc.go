// Package adversarial evaluates every convolution op in float32 in the ways a
// correct implementation may: every summation order this package knows
// (sequential, reversed, pairwise, blocked by 8 and 16; with and without FMA;
// bias first or last), deformable sampling positions and bilinear weights in
// the operation order of torchvision's deform_conv2d CPU kernel and of ONNX
// Runtime's DeformConv, and dynamic-convolution routing (GAP, linear layer,
// sigmoid or softmax with temperature) and kernel mixing in float32, with an
// exp that is only faithfully rounded.
//
// Its tests prove that reference.Magnitude under conv.DefaultBound covers all
// of them (docs/bounds.md), and that the bound stays tight enough to catch
// planted bugs. It is a test instrument, not an implementation: nothing here
// is fast, and every float32 rounding is explicit (a float32(·) conversion
// after each operation, so the compiler cannot fuse a multiply and an add
// behind our back, and FMA is FMA32, correctly rounded).
package adversarial
