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
//   - golden format: case.json + .npy files (docs/golden-format.md). Unlike
//     that original contract, case.json is read strictly: its fields are op,
//     problem, routing and temperature (op dynamic only; temperature with
//     softmax only), name and source, plus free annotations named "x-…";
//     any other field is an error that lists the known ones.
//
// Reads are bounded: only regular files are read (a link to one is fine),
// never blocking on a FIFO; an .npy only up to the size its header and the
// problem imply; other files up to a documented limit or the memory budget
// (LoadOptions). A golden-format folder is read through one open handle and
// reloaded if it was replaced meanwhile, so a load never mixes two cases.
// Write never deletes what it did not create and swaps a replaced case
// atomically (see Write).
//
// Every malformed input is an error that names the file and the field; no input
// makes the package panic (the fuzz targets hold it to that).
package golden
