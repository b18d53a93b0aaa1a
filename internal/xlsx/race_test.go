//go:build race

package xlsx_test

import "compress/flate"

// bombLevel: the race detector makes the best compression of 200 MB take
// half a minute; the fastest still makes a bomb of about 1.5 MB.
const bombLevel = flate.BestSpeed
