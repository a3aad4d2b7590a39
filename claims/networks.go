package claims

import (
	"fmt"
	"strings"

	"github.com/convverify/convverify/conv"
)

// network is a classifier's feature extractor as the chain of layers on its
// longest receptive-field path, along one axis, with the input it was
// designed for. Branching modules (Inception, residual blocks) enter with
// their widest branch: a unit's field is the union of its branches' fields,
// and every branch of a module has the same stride, so the widest one sets
// the size. Layers of extent 1 along the axis (1×1, or the 7×1 half of a
// factorised 7×7 along the horizontal axis) are kept so the names match the
// papers' tables.
type network struct {
	Name   string
	Source string // paper and table the layer list follows
	Input  int    // input side the network was designed for (px)
	Layers []conv.Layer
	Names  []string
	// Last is the index of the last conv layer, before global pooling.
	Last int
}

func (n *network) add(name string, ls ...conv.Layer) {
	for i, l := range ls {
		if l.Dil == 0 {
			l.Dil = 1
		}
		n.Layers = append(n.Layers, l)
		if len(ls) > 1 {
			n.Names = append(n.Names, fmt.Sprintf("%s.%d", name, i+1))
		} else {
			n.Names = append(n.Names, name)
		}
	}
	n.Last = len(n.Layers) - 1
}

// Layers along one axis; padding does not change a field's size, only its
// position, and is kept only where it is the papers' 'same' padding.
func kk(k, s int) conv.Layer { return conv.Layer{K: k, S: s, P: (k - 1) / 2, Dil: 1} }

// vgg16Net is VGG-16 (Simonyan & Zisserman, ICLR 2015, Table 1,
// configuration D): 3×3 convs and 2×2 max pooling.
func vgg16Net() network {
	ls, names, last := vgg16()
	return network{Name: "VGG-16", Source: "Simonyan & Zisserman 2015, Table 1 (D)", Input: 224, Layers: ls[:last+1], Names: names[:last+1], Last: last}
}

// resnet50Net is ResNet-50 (He et al., CVPR 2016, Table 1): a 7×7/2 conv, a
// 3×3/2 max pool and 3, 4, 6, 3 bottleneck blocks (1×1, 3×3, 1×1). The
// residual path's 3×3 convs are the widest branch. v1 strides the first 1×1
// of stages 3–5 (the paper's Caffe model); v1.5 (torchvision, NVIDIA) moves
// the stride to the 3×3, whose k − 1 then counts at the finer jump, so its
// last field is smaller (Araujo et al., Distill 2019, list both).
func resnet50Net(v15 bool) network {
	n := network{Name: "ResNet-50 v1", Source: "He et al. 2016, Table 1; stride on the first 1×1", Input: 224}
	if v15 {
		n.Name, n.Source = "ResNet-50 v1.5", "He et al. 2016, Table 1; stride on the 3×3 (torchvision)"
	}
	n.add("conv1", kk(7, 2))
	n.add("pool1", kk(3, 2))
	for st, blocks := range []int{3, 4, 6, 3} {
		for b := 0; b < blocks; b++ {
			s := 1
			if st > 0 && b == 0 {
				s = 2
			}
			s1, s3 := s, 1
			if v15 {
				s1, s3 = 1, s
			}
			n.add(fmt.Sprintf("conv%d_%d", st+2, b+1), kk(1, s1), kk(3, s3), kk(1, 1))
		}
	}
	return n
}

// mobileNetV2Net is MobileNetV2 (Sandler et al., CVPR 2018, Table 2): a
// 3×3/2 conv, inverted residual blocks (1×1 expand, 3×3 depthwise with the
// block's stride, 1×1 project) with the table's (t, c, n, s) rows, and the
// final 1×1 conv to 1280 channels.
func mobileNetV2Net() network {
	n := network{Name: "MobileNetV2", Source: "Sandler et al. 2018, Table 2", Input: 224}
	n.add("conv1", kk(3, 2))
	for r, row := range []struct{ t, n, s int }{{1, 1, 1}, {6, 2, 2}, {6, 3, 2}, {6, 4, 2}, {6, 3, 1}, {6, 3, 2}, {6, 1, 1}} {
		for b := 0; b < row.n; b++ {
			s := 1
			if b == 0 {
				s = row.s
			}
			name := fmt.Sprintf("block%d_%d", r+1, b+1)
			if row.t == 1 {
				n.add(name, kk(3, s), kk(1, 1))
			} else {
				n.add(name, kk(1, 1), kk(3, s), kk(1, 1))
			}
		}
	}
	n.add("conv_last", kk(1, 1))
	return n
}

// inceptionV3Net is Inception-v3 (Szegedy et al., CVPR 2016, Table 1 and
// Figures 5–7; layer names of the TensorFlow-slim model), along the
// horizontal axis: the stem, three 35×35 modules whose widest branch is two
// 3×3 (as wide as the 5×5 branch), the 35→17 reduction, four 17×17 modules
// whose widest branch is 7×1, 1×7, 7×1, 1×7 (two 7-wide layers along each
// axis), the 17→8 reduction (1×7, 7×1, 3×3/2), and two 8×8 modules whose
// widest branch is 3×3 then 1×3.
func inceptionV3Net() network {
	n := network{Name: "Inception-v3", Source: "Szegedy et al. 2016, Table 1, Figs 5–7 (TF-slim names)", Input: 299}
	valid := func(k, s int) conv.Layer { return conv.Layer{K: k, S: s, Dil: 1} }
	n.add("Conv2d_1a_3x3", valid(3, 2))
	n.add("Conv2d_2a_3x3", valid(3, 1))
	n.add("Conv2d_2b_3x3", kk(3, 1))
	n.add("MaxPool_3a_3x3", valid(3, 2))
	n.add("Conv2d_3b_1x1", valid(1, 1))
	n.add("Conv2d_4a_3x3", valid(3, 1))
	n.add("MaxPool_5a_3x3", valid(3, 2))
	for _, m := range []string{"Mixed_5b", "Mixed_5c", "Mixed_5d"} {
		n.add(m, kk(1, 1), kk(3, 1), kk(3, 1))
	}
	n.add("Mixed_6a", kk(1, 1), kk(3, 1), valid(3, 2))
	for _, m := range []string{"Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e"} {
		n.add(m, kk(1, 1), kk(1, 1), kk(7, 1), kk(1, 1), kk(7, 1))
	}
	n.add("Mixed_7a", kk(1, 1), kk(7, 1), kk(1, 1), valid(3, 2))
	for _, m := range []string{"Mixed_7b", "Mixed_7c"} {
		n.add(m, kk(1, 1), kk(3, 1), kk(3, 1))
	}
	return n
}

// standardNetworks are the classifiers §4's heuristic is decided on.
func standardNetworks() []network {
	return []network{vgg16Net(), resnet50Net(false), resnet50Net(true), mobileNetV2Net(), inceptionV3Net()}
}

// lastName names the last conv layer by the block or module it ends, as the
// papers name them.
func (n network) lastName() string {
	name, _, _ := strings.Cut(n.Names[n.Last], ".")
	return name
}

// lastField is the receptive field of the network's last conv layer.
func (n network) lastField() conv.Field { return receptiveField(n.Layers[:n.Last+1])[n.Last] }

// paramLayer is one layer of a parameter count: a conv (a fully connected
// layer is a 1×1 conv on a 1×1 map), with its bias.
type paramLayer struct {
	Name          string
	IC, OC, K, G  int
	FullyConnects bool
}

// paramsOfLayers counts a layer list's weights and biases with paramsOf, and
// the part in fully connected layers.
func paramsOfLayers(ls []paramLayer) (total, fc int64) {
	for _, l := range ls {
		p := conv2d(l.IC, l.OC, l.K, l.K, 1, 0, 1, l.G)
		n := paramsOf(&p, true)
		total += n
		if l.FullyConnects {
			fc += n
		}
	}
	return total, fc
}

// alexNetLayers is AlexNet (Krizhevsky et al., NIPS 2012, Fig. 2; the
// two-GPU model, so conv2, conv4 and conv5 are grouped by 2), the baseline
// SqueezeNet's 50× is measured against.
func alexNetLayers() []paramLayer {
	return []paramLayer{
		{"conv1", 3, 96, 11, 1, false}, {"conv2", 96, 256, 5, 2, false}, {"conv3", 256, 384, 3, 1, false},
		{"conv4", 384, 384, 3, 2, false}, {"conv5", 384, 256, 3, 2, false},
		{"fc6", 256 * 6 * 6, 4096, 1, 1, true}, {"fc7", 4096, 4096, 1, 1, true}, {"fc8", 4096, 1000, 1, 1, true},
	}
}

// squeezeNetPaperParams is SqueezeNet v1.0's parameter count as its paper's
// Table 1 states it (quoted, like the Q&A's figures), for the layer list to
// be checked against.
const squeezeNetPaperParams = 1248424

// fire is a SqueezeNet fire module: s1x1 squeeze filters, then e1x1 and
// e3x3 expand filters side by side.
type fire struct{ s1, e1, e3 int }

// squeezeNetLayers is SqueezeNet v1.0 (Iandola et al. 2016, Table 1): conv1
// 96×7×7, fire2–fire9, and conv10 1×1 to 1000 classes, no fully connected
// layer. With expand3x3 set, every expand filter is 3×3 (the model without
// its 1×1 expand filters: strategy 1 of the paper undone).
func squeezeNetLayers(all3x3 bool) []paramLayer {
	fires := []fire{{16, 64, 64}, {16, 64, 64}, {32, 128, 128}, {32, 128, 128}, {48, 192, 192}, {48, 192, 192}, {64, 256, 256}, {64, 256, 256}}
	ls := []paramLayer{{"conv1", 3, 96, 7, 1, false}}
	in := 96
	for i, f := range fires {
		name := fmt.Sprintf("fire%d", i+2)
		ls = append(ls, paramLayer{name + "/squeeze1x1", in, f.s1, 1, 1, false})
		if all3x3 {
			ls = append(ls, paramLayer{name + "/expand3x3", f.s1, f.e1 + f.e3, 3, 1, false})
		} else {
			ls = append(ls, paramLayer{name + "/expand1x1", f.s1, f.e1, 1, 1, false}, paramLayer{name + "/expand3x3", f.s1, f.e3, 3, 1, false})
		}
		in = f.e1 + f.e3
	}
	return append(ls, paramLayer{"conv10", in, 1000, 1, 1, false})
}
