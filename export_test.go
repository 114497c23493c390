package lsgd

// SetCVWindowBytes sets the window foldGramsWindowed groups rows in, for a
// test, and returns the function that restores it.
func SetCVWindowBytes(n int) (restore func()) {
	old := cvWindowBytes
	cvWindowBytes = n
	return func() { cvWindowBytes = old }
}
