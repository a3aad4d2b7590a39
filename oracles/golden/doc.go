// Package golden reads golden convolution vectors that other projects
// computed (ONNX node tests, PyTorch exports, golden-format folders written
// with numpy) and writes our own golden-format folders.
//
// A golden case is only as good as its independence: the expected output of
// every case loaded here was computed outside this repository, so the package
// never imports convverify/reference.
//
// Formats:
//   - ONNX: one serialized onnx.TensorProto per .pb file (ReadTensorProto),
//     and model.onnx parsed just far enough to find the single
//     Conv/ConvTranspose/DeformConv node, its attributes and initializers.
//   - golden format: case.json + .npy files (docs/golden-format.md).
//
// Every malformed input is an error that names the file and the field; no input
// makes the package panic (the fuzz targets hold it to that).
package golden
