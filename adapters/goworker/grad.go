package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/convverify/convverify/conv"
)

// The "grad" capability: a backward case (case.json "dir" BWD_D, BWD_W or
// BWD_WB) holds the tensors its direction reads, dy.npy among them, and the
// worker writes the gradients the direction writes (docs/worker-protocol.md,
// backward cases). This worker computes them for conv and deconv, with its
// own loops in float32 (not convverify's reference): every (input element,
// weight element, output element) triple that the forward pass multiplies
// is visited once, and dx += dy·w, dw += dy·x, db += dy accumulate in
// float32 in visiting order, as a plain C implementation would. Deform's
// gradients follow torchvision's organisation (grad_deform.go), dynamic's
// the chain rule through the routing (grad_dynamic.go).

// gradPlant is the planted gradient bug (-plant db-batch: db sums dy over
// the first image only).
func gradPlant() string { return *plant }

// gradCase is a loaded backward case.
type gradCase struct {
	p                conv.Problem
	x, w, dy         []float32
	offset, mask     []float32
	b, routeW        []float32
	routeB           []float32
	hasX, hasW, hasB bool
}

// loadGradCase reads the tensors of a backward case; p's direction is set.
func loadGradCase(dir string, p conv.Problem) (*gradCase, error) {
	c := &gradCase{p: p}
	if p.Op == conv.OpDynamic {
		// Experts, routing and temperature are in the files and case.json.
		var cj struct {
			Routing     string   `json:"routing"`
			Temperature *float64 `json:"temperature"`
		}
		raw, err := os.ReadFile(filepath.Join(dir, "case.json"))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(raw, &cj); err != nil {
			return nil, fmt.Errorf("case.json: %v", err)
		}
		if c.p.Routing, err = conv.ParseRouting(cj.Routing); err != nil {
			return nil, err
		}
		if cj.Temperature != nil {
			c.p.Temperature = *cj.Temperature
		}
		_, wshape, err := readNpy(filepath.Join(dir, "w.npy"))
		if err != nil {
			return nil, err
		}
		if len(wshape) < 3 {
			return nil, fmt.Errorf("w.npy: shape %v: want [E, OC, IC/G, kernel…]", wshape)
		}
		c.p.E = wshape[0]
		if err := c.p.Validate(); err != nil {
			return nil, err
		}
		p = c.p
		for _, t := range []struct {
			name  string
			shape []int
			dst   *[]float32
		}{{"route_w.npy", p.RouteWShape(), &c.routeW}, {"route_b.npy", p.RouteBShape(), &c.routeB}, {"b.npy", p.BiasShape(), &c.b}} {
			v, shape, err := readNpy(filepath.Join(dir, t.name))
			if t.name == "b.npy" && errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, err
			}
			if conv.ShapeString(shape) != conv.ShapeString(t.shape) {
				return nil, fmt.Errorf("%s: shape %v, want %v", t.name, shape, t.shape)
			}
			*t.dst = narrow32(v)
		}
	}
	if p.Op == conv.OpDeform {
		// The offset groups and the mask are in the files, not the descriptor.
		off, shape, err := readNpy(filepath.Join(dir, "offset.npy"))
		if err != nil {
			return nil, err
		}
		taps := p.K[conv.H] * p.K[conv.W]
		if len(shape) != 4 || shape[1]%(2*taps) != 0 || shape[1] == 0 {
			return nil, fmt.Errorf("offset.npy: shape %v", shape)
		}
		c.p.DG = shape[1] / (2 * taps)
		c.offset = narrow32(off)
		if m, _, err := readNpy(filepath.Join(dir, "mask.npy")); err == nil {
			c.p.Mask, c.mask = true, narrow32(m)
		} else if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if err := c.p.Validate(); err != nil {
			return nil, err
		}
		p = c.p
	}
	read := func(name string, shape []int) ([]float32, bool, error) {
		v, got, err := readNpy(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return make([]float32, conv.Elems(shape)), false, nil
		}
		if err != nil {
			return nil, false, err
		}
		if conv.ShapeString(got) != conv.ShapeString(shape) {
			return nil, false, fmt.Errorf("%s: shape %v, want %v", name, got, shape)
		}
		out := make([]float32, len(v))
		for i, f := range v {
			out[i] = float32(f)
		}
		return out, true, nil
	}
	var err error
	if c.x, c.hasX, err = read("x.npy", p.SrcShape()); err != nil {
		return nil, err
	}
	if c.w, c.hasW, err = read("w.npy", p.WeightShape()); err != nil {
		return nil, err
	}
	var has bool
	if c.dy, has, err = read("dy.npy", p.DstShape()); err != nil {
		return nil, err
	}
	if !has {
		return nil, fmt.Errorf("dy.npy: missing in a %s case", p.Dir)
	}
	return c, nil
}

// gradients are the outputs of one backward run.
type gradients struct {
	dx, dw, db, doffset, dmask []float32
	droutew, drouteb           []float32
}

func narrow32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, f := range v {
		out[i] = float32(f)
	}
	return out
}

// run computes the gradients of c's direction.
func (c *gradCase) run() gradients {
	p := &c.p
	switch p.Op {
	case conv.OpDeform:
		return deformGrads(p, c.x, c.w, c.offset, c.mask, c.dy)
	case conv.OpDynamic:
		return dynamicGrads(p, c.x, c.w, c.b, c.routeW, c.routeB, c.dy)
	}
	var g gradients
	wantDX := p.Dir == conv.DirBwdD
	wantDW := p.Dir == conv.DirBwdW || p.Dir == conv.DirBwdWB
	if wantDX {
		g.dx = make([]float32, conv.Elems(p.SrcShape()))
	}
	if wantDW {
		g.dw = make([]float32, conv.Elems(p.WeightShape()))
	}
	if p.Dir == conv.DirBwdWB {
		g.db = make([]float32, p.OC)
		osp := conv.Spatial(p.O)
		for n := 0; n < p.MB; n++ {
			if n > 0 && gradPlant() == "db-batch" {
				break
			}
			for m := 0; m < p.OC; m++ {
				for _, v := range c.dy[(n*p.OC+m)*osp : (n*p.OC+m+1)*osp] {
					g.db[m] += v
				}
			}
		}
	}
	pairs(p, func(xi, wi, yi int) {
		if wantDX {
			g.dx[xi] += c.dy[yi] * c.w[wi]
		}
		if wantDW {
			g.dw[wi] += c.dy[yi] * c.x[xi]
		}
	})
	return g
}

// pairs calls visit(x index, w index, y index) once for every product the
// forward pass of conv or deconv p sums (taps in padding are not visited).
//
//	conv:   y[n, m, o] += x[n, g·ICG + c, o·s − pb + k·d] · w[m, c, k],  g = m / OCG
//	deconv: y[n, g·OCG + c, i·s + k·d − pb] += x[n, i_c, i] · w[i_c, c, k],  g = i_c / ICG
func pairs(p *conv.Problem, visit func(xi, wi, yi int)) {
	icg, ocg := p.ICG(), p.OCG()
	taps := p.Taps()
	var k, pos [3]int
	// tapIndex, spatial index helpers over [D, H, W].
	flat := func(sz, v [3]int) int { return (v[0]*sz[1]+v[1])*sz[2] + v[2] }
	for n := 0; n < p.MB; n++ {
		if p.Op == conv.OpConv {
			for m := 0; m < p.OC; m++ {
				g := m / ocg
				for o := 0; o < conv.Spatial(p.O); o++ {
					ov := [3]int{o / (p.O[1] * p.O[2]), o / p.O[2] % p.O[1], o % p.O[2]}
					yi := (n*p.OC+m)*conv.Spatial(p.O) + o
					for c := 0; c < icg; c++ {
						for t := 0; t < taps; t++ {
							k = [3]int{t / (p.K[1] * p.K[2]), t / p.K[2] % p.K[1], t % p.K[2]}
							ok := true
							for a := 0; a < 3; a++ {
								pos[a] = ov[a]*p.S[a] - p.PBegin[a] + k[a]*p.Dil[a]
								ok = ok && pos[a] >= 0 && pos[a] < p.I[a]
							}
							if !ok {
								continue
							}
							xi := (n*p.IC+g*icg+c)*conv.Spatial(p.I) + flat(p.I, pos)
							wi := (m*icg+c)*taps + t
							visit(xi, wi, yi)
						}
					}
				}
			}
			continue
		}
		for ic := 0; ic < p.IC; ic++ {
			g := ic / icg
			for i := 0; i < conv.Spatial(p.I); i++ {
				iv := [3]int{i / (p.I[1] * p.I[2]), i / p.I[2] % p.I[1], i % p.I[2]}
				xi := (n*p.IC+ic)*conv.Spatial(p.I) + i
				for c := 0; c < ocg; c++ {
					for t := 0; t < taps; t++ {
						k = [3]int{t / (p.K[1] * p.K[2]), t / p.K[2] % p.K[1], t % p.K[2]}
						ok := true
						for a := 0; a < 3; a++ {
							pos[a] = iv[a]*p.S[a] + k[a]*p.Dil[a] - p.PBegin[a]
							ok = ok && pos[a] >= 0 && pos[a] < p.O[a]
						}
						if !ok {
							continue
						}
						yi := (n*p.OC+g*ocg+c)*conv.Spatial(p.O) + flat(p.O, pos)
						wi := (ic*ocg+c)*taps + t
						visit(xi, wi, yi)
					}
				}
			}
		}
	}
}

// runGradCase computes the gradients of a backward case: warmup runs, then
// reps runs each timed alone, and the gradient files from the last.
func runGradCase(dir string, p conv.Problem, warmup, reps int, clock func(func()) int64) ([]int64, error) {
	c, err := loadGradCase(dir, p)
	if err != nil {
		return nil, err
	}
	p = c.p
	for range warmup {
		c.run()
	}
	var g gradients
	ns := make([]int64, reps)
	for i := range ns {
		ns[i] = clock(func() { g = c.run() })
	}
	write := func(name string, shape []int, v []float32) error {
		if v == nil {
			return nil
		}
		f := make([]float64, len(v))
		for i, x := range v {
			f[i] = float64(x)
		}
		return writeNpy(filepath.Join(dir, name), shape, f)
	}
	if err := write("dx.npy", p.SrcShape(), g.dx); err != nil {
		return nil, err
	}
	if err := write("dw.npy", p.WeightShape(), g.dw); err != nil {
		return nil, err
	}
	if err := write("doffset.npy", p.OffsetShape(), g.doffset); err != nil {
		return nil, err
	}
	if err := write("dmask.npy", p.MaskShape(), g.dmask); err != nil {
		return nil, err
	}
	if err := write("droute_w.npy", p.RouteWShape(), g.droutew); err != nil {
		return nil, err
	}
	if err := write("droute_b.npy", p.RouteBShape(), g.drouteb); err != nil {
		return nil, err
	}
	return ns, write("db.npy", p.BiasShape(), g.db)
}
