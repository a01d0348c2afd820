//go:build !amd64

package rt

func adamStep(p, g, m, v, vmax []float32, k adamArgs) { adamGo(p, g, m, v, vmax, k) }

func adamaxStep(p, g, m, u []float32, k adamaxArgs) { adamaxGo(p, g, m, u, k) }

func nadamStep(p, g, m, v []float32, k nadamArgs) { nadamGo(p, g, m, v, k) }

func adagradStep(p, g, s []float32, k adagradArgs) { adagradGo(p, g, s, k) }

func adadeltaStep(p, g, s, a []float32, k adadeltaArgs) { adadeltaGo(p, g, s, a, k) }

func rmspropStep(p, g, s, buf, avg []float32, k rmspropArgs) { rmspropGo(p, g, s, buf, avg, k) }
