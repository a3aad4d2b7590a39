package properties

import "github.com/convverify/convverify/optimized"

// The variants run with small block sizes in these tests, so that small
// drawn problems cross every block remainder in every rank.
func init() { optimized.SetTiles(optimized.SmallTiles) }
