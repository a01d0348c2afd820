//go:build !amd64

package rt

func kernelList() []*gemmKernel { return []*gemmKernel{&kernelGo} }
