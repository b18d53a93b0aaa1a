//go:build !race

package xlsx_test

import "compress/flate"

// bombLevel compresses the bomb as an attacker would: 200 MB in 700 KB.
const bombLevel = flate.BestCompression
