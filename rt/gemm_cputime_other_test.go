//go:build !linux

package rt

func processCPU() float64 { return 0 }
