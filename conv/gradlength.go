package conv

// DeformGradLength returns the number of terms N one element of the deform
// gradient name sums, for Bound with reference.GradMagnitude (the
// derivation is in reference/backward_magnitude_deform.go):
//
//   - dw, db: one term per output position of every sample, MB·OH·OW.
//   - dx: one per (output channel of the group, output position, tap) whose
//     sample has the element as one of its four corners, at most
//     OC/G·OH·OW·KH·KW (offsets can send every sample anywhere).
//   - doffset, dmask: one per (input channel of the offset group, output
//     channel of that channel's group), IC/DG·OC/G.
//
// It returns 0 for a name deform does not write.
func DeformGradLength(p *Problem, name string) int {
	osp := Spatial(p.O)
	switch name {
	case "dw", "db":
		return p.MB * osp
	case "dx":
		return p.OCG() * osp * p.K[H] * p.K[W]
	case "doffset", "dmask":
		return p.IC / p.DG * p.OCG()
	}
	return 0
}

// DynamicGradLength returns the number of terms N one element of the
// dynamic gradient name sums, for Bound with reference.GradMagnitude (the
// derivation is in reference/backward_magnitude_dynamic.go):
//
//   - dx: the conv's OC/G·taps terms dy·W̃n through the mixed kernel, and one
//     more, the routing term (path through the global average pool).
//   - dw (experts), db: one per sample and output position, MB·spatial(O).
//   - droute_w, droute_b: one per sample, MB.
//
// It returns 0 for a name dynamic does not write.
func DynamicGradLength(p *Problem, name string) int {
	switch name {
	case "dx":
		return p.OCG()*p.Taps() + 1
	case "dw", "db":
		return p.MB * Spatial(p.O)
	case "droute_w", "droute_b":
		return p.MB
	}
	return 0
}
