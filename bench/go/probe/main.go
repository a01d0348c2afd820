// Command probe measures how far apart the machine's first two CPUs are: the median
// time for a cache line to go from one thread to another and back. bench/run.sh runs
// it before and after every run of an engine, because on some VMs the answer changes
// while a benchmark runs. The two vCPUs are threads of the host, and the host may move
// them: on the AMD EPYC VM, when they shared a last-level cache the round trip took
// about 50 ns, when they did not about 310 ns, and with it every engine's two-thread
// times changed (dlgen's W1 training step on two threads: 0.19 ms near, 0.33 ms far;
// see codegen/PERF.md, "The VM's second state").
//
//	probe [-n round trips]   prints {"near":true,"roundtrip_ns":52.3}
//
// On a machine with one CPU it prints nulls.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync/atomic"
	"time"
)

// farNs separates the two states. On the AMD EPYC (Zen 4) VM the round trips fell in
// 49–60 ns (same CCX) or in 306–342 ns (two CCDs), never between. On the Intel Xeon
// VM of 2026-11-28 every round trip took 110–195 ns: its two vCPUs are cores on one
// mesh, with no second state, and a threshold at 150 ns had split that one state
// into "near" and "far" at random.
const farNs = 250

// batch is how many round trips one timing covers: enough that the clock's cost
// and resolution vanish, few enough that a timing rarely spans a preemption.
const batch = 100

func main() {
	n := flag.Int("n", 20000, "round trips to measure (a multiple of 100)")
	flag.Parse()
	if *n < batch {
		fmt.Fprintln(os.Stderr, "probe: -n must be at least", batch)
		os.Exit(2)
	}
	if runtime.NumCPU() < 2 {
		// Two spinning threads on one CPU would take a time slice per round trip.
		fmt.Println(`{"roundtrip_ns": null, "near": null}`)
		return
	}
	if runtime.GOMAXPROCS(0) < 2 {
		runtime.GOMAXPROCS(2)
	}
	ns := roundTrip(*n / batch)
	out, _ := json.Marshal(map[string]any{"roundtrip_ns": float64(int(ns*10)) / 10, "near": ns < farNs})
	fmt.Println(string(out))
}

// roundTrip returns the median over batches of the mean time of one round trip of
// a counter between two threads that each spin on it: the caller writes odd
// values, the partner answers each with the next even one.
func roundTrip(batches int) float64 {
	var flag atomic.Int64
	done := make(chan struct{})
	total := int64(batches * batch)
	go func() {
		runtime.LockOSThread()
		for i := int64(1); i <= total; i++ {
			for flag.Load() != 2*i-1 {
			}
			flag.Store(2 * i)
		}
		close(done)
	}()
	runtime.LockOSThread()
	times := make([]float64, 0, batches)
	for b := range int64(batches) {
		t0 := time.Now()
		for i := b*batch + 1; i <= (b+1)*batch; i++ {
			flag.Store(2*i - 1)
			for flag.Load() != 2*i {
			}
		}
		times = append(times, float64(time.Since(t0).Nanoseconds())/batch)
	}
	<-done
	slices.Sort(times)
	return times[len(times)/2]
}
