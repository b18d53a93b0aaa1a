package demo_test

import (
	"context"
	"os"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/tinhso/tinhso/internal/auth"
	"github.com/tinhso/tinhso/internal/demo"
	"github.com/tinhso/tinhso/internal/store/storetest"
)

func TestZZTiming(t *testing.T) {
	auth.HashParams = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1}
	for e, u := range storetest.URLs(t) {
		db := storetest.Open(t, u)
		f, _ := os.Create("/tmp/tt/cpu-" + string(e) + ".prof")
		pprof.StartCPUProfile(f)
		start := time.Now()
		if err := demo.Load(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		pprof.StopCPUProfile()
		t.Logf("%s %v", e, time.Since(start))
	}
}
