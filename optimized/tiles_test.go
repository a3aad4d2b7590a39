package optimized

// The tests of this package run with small block sizes, so that their small
// problems cross every block remainder.
func init() { SetTiles(SmallTiles) }
