package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/store"
	"github.com/tinhso/tinhso/internal/store/storetest"
)

// TestLease: one holder at a time; the holder renews; another takes over
// once the lease expires or is released.
func TestLease(t *testing.T) {
	t.Parallel()
	for engine, u := range storetest.URLs(t) {
		t.Run(string(engine), func(t *testing.T) {
			db := storetest.Open(t, u)
			ctx := context.Background()
			a, b := store.NodeName(), store.NodeName()
			if a == b {
				t.Fatal("two node names alike")
			}
			now := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
			take := func(holder string, at time.Time, want bool) {
				t.Helper()
				held, err := db.Lease(ctx, "job", holder, at, time.Minute)
				if err != nil || held != want {
					t.Errorf("lease by %s at %s: %v %v, want %v", holder, at.Format(time.TimeOnly), held, err, want)
				}
			}
			take(a, now, true)
			take(b, now.Add(10*time.Second), false)
			take(a, now.Add(50*time.Second), true) // renewed until 08:01:50
			take(b, now.Add(90*time.Second), false)
			take(b, now.Add(111*time.Second), true) // expired
			take(a, now.Add(112*time.Second), false)
			if err := db.Release(ctx, "job", b, now.Add(113*time.Second)); err != nil {
				t.Fatal(err)
			}
			take(a, now.Add(114*time.Second), true)
			take(a, now.Add(114*time.Second), true)
			held, err := db.Lease(ctx, "another job", b, now, time.Minute)
			if err != nil || !held {
				t.Errorf("another job's lease: %v %v", held, err)
			}
		})
	}
}
