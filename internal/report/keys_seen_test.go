package report

import "testing"

// TestKeysSeen finds a key twice whether it packs into 64 bits or not, and
// never takes two different keys for one.
func TestKeysSeen(t *testing.T) {
	ks := keysSeen{packed: map[uint64]int32{}, wide: map[dupKey]int32{}}
	keys := []dupKey{
		{unit: 1, ind: 1, opt: 0, period: 0},
		{unit: 1, ind: 1, opt: 0, period: 1},
		{unit: 2, ind: 1, opt: 0, period: 0},
		{unit: 1, ind: 2, opt: 0, period: 0},
		{unit: 1, ind: 1, opt: 1, period: 0},
		{unit: 1<<24 - 1, ind: 1<<21 - 1, opt: 1<<11 - 1, period: 255}, // the largest that packs
		{unit: 1 << 24, ind: 1, period: 0},                             // too large: wide
		{unit: 1, ind: 1 << 21, period: 0},
		{unit: 1, ind: 1, opt: 1 << 11},
		{unit: 1, ind: 1, period: 256},
		{unit: -1, ind: 1},
	}
	for i, k := range keys {
		if first, dup := ks.add(k, int32(i)); dup {
			t.Fatalf("%+v taken for the key at %d", k, first)
		}
	}
	if len(ks.wide) != 5 || len(ks.packed) != 6 {
		t.Fatalf("%d packed, %d wide", len(ks.packed), len(ks.wide))
	}
	for i, k := range keys {
		if first, dup := ks.add(k, 99); !dup || first != int32(i) {
			t.Errorf("%+v again: first %d, dup %v", k, first, dup)
		}
	}
}
