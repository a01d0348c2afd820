//go:build !amd64

package rt

func kernelList() []*gemmKernel { return []*gemmKernel{&kernelGo} }

// spinPause is a no-op here: the spin loop just polls.
func spinPause() {}
