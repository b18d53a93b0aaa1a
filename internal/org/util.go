package org

import "slices"

func slicesSortFunc[T any](s []T, cmp func(a, b T) int) { slices.SortStableFunc(s, cmp) }
