package batch

import (
	"flag"
	"os"
	"testing"
)

// TestMain shortens the fuzzer's minimisation of each new interesting input from 60 s to 1 s
// unless -fuzzminimizetime is given. A batch input is kilobytes long (the encapsulated key
// alone is 1 120 bytes) and the minimiser tries removing every pair of bytes, so with the
// default a 20-second run spends all its time minimising its first finds and fuzzes nothing.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.fuzzminimizetime" })
	if !set {
		if err := flag.Set("test.fuzzminimizetime", "1s"); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
