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
//     softmax only), dir, name and source, plus free annotations named
//     "x-…"; any other field is an error that lists the known ones.
//
// Directions (issue 12): case.json's optional "dir" names the direction as
// benchdnn does: FWD_B, FWD_D, BWD_D, BWD_W or BWD_WB; absent means the
// forward pass FWD_B, exactly as before directions existed (Write writes
// "dir" only for another direction). The folder holds exactly the tensors
// that conv.Problem.Tensors lists for the op and the direction, each in the
// file named after the tensor: the ones the direction reads are the inputs
// (x.npy, w.npy, b.npy, offset.npy, mask.npy, route_w.npy, route_b.npy,
// dy.npy), the ones it writes the expected outputs (y.npy, or dx.npy,
// dw.npy, db.npy, doffset.npy, dmask.npy, droute_w.npy, droute_b.npy).
// b.npy stays optional (zero bias) wherever the direction reads b; a deform
// case with mask.npy is DCNv2, and then dmask.npy is required wherever the
// direction writes d(mask). Every file is '<f4', C order, the tensor's shape
// (a gradient has its value's). A missing file, a file the direction neither
// reads nor writes, a wrong shape or dtype, an unknown direction or one the
// op does not have is an error naming the file, the tensor and the
// direction. Case.DY and Case.Grads hold dy and the expected gradients of a
// backward case (its Want is empty); Write writes backward cases too, and
// refuses a case whose tensors are not exactly its direction's. The expected
// gradients are stored as float32 like y: a golden computed in float64
// (scripts/torch-autograd-goldens.py) is rounded once when stored, which a
// checker accounts for as it does for y.
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
