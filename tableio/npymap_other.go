//go:build !linux

package tableio

import "os"

// Where the advice is not known, the hints do nothing.

// dropPages does nothing here.
func dropPages(*os.File, []byte, int64) {}

func adviseWillNeed([]byte)   {}
func adviseSequential([]byte) {}
