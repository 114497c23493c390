package cpu

// gradPortable64 is the portable fused kernel: for the n rows of x (row
// length c, stride s, starting at x[0]) it forms r = x_i·w + b, adds r·x_ij
// into g[j] and returns Σr and Σr². The intercept's gradient is Σr.
func gradPortable64(x []float64, n, c, s int, w []float64, b float64, g []float64) (sr, srr float64) {
	w = w[:c]
	g = g[:c]
	for i := 0; i < n; i++ {
		row := x[i*s : i*s+c]
		r := b
		for j, v := range row {
			r += v * w[j]
		}
		for j, v := range row {
			g[j] += r * v
		}
		sr += r
		srr += r * r
	}
	return sr, srr
}

// gradPortable32 is gradPortable64 in float32.
func gradPortable32(x []float32, n, c, s int, w []float32, b float32, g []float32) (sr, srr float32) {
	w = w[:c]
	g = g[:c]
	for i := 0; i < n; i++ {
		row := x[i*s : i*s+c]
		r := b
		for j, v := range row {
			r += v * w[j]
		}
		for j, v := range row {
			g[j] += r * v
		}
		sr += r
		srr += r * r
	}
	return sr, srr
}
