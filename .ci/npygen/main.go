// Command npygen writes a float32 .npy table of rows × (feats+1) values
// block by block, never holding it in memory (for tables larger than
// RAM; lsgd gen builds its table in memory):
//
//	go run ./.ci/npygen ROWS FEATURES OUT.npy
//
// x_ij = off_j + sc_j·u_ij and y_i = 1 + Σ_j (j mod 9 + 1)·u_ij + 0.1·e_i,
// u and e uniform on [−½, ½) (xorshift, seeded by block), off_j = 3·(j mod 7),
// sc_j = 2^(j mod 5 − 2): the coefficients are (j mod 9 + 1)/sc_j.
package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"strconv"
	"sync"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: npygen ROWS FEATURES OUT.npy")
		os.Exit(2)
	}
	rows, err1 := strconv.Atoi(os.Args[1])
	feats, err2 := strconv.Atoi(os.Args[2])
	if err1 != nil || err2 != nil || rows < 1 || feats < 1 {
		fmt.Fprintln(os.Stderr, "npygen: ROWS and FEATURES must be positive integers")
		os.Exit(2)
	}
	out := os.Args[3]
	cols := feats + 1
	f, err := os.Create(out)
	if err != nil {
		panic(err)
	}
	hdr := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }", rows, cols)
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	w := bufio.NewWriterSize(f, 8<<20)
	w.WriteString("\x93NUMPY\x01\x00")
	binary.Write(w, binary.LittleEndian, uint16(len(hdr)))
	w.WriteString(hdr)
	off := make([]float64, feats)
	sc := make([]float64, feats)
	for j := range off {
		off[j] = float64(j%7) * 3
		sc[j] = math.Pow(2, float64(j%5)-2)
	}
	const block = 65536
	nb := (rows + block - 1) / block
	workers := 2
	chans := make([]chan []byte, workers)
	for k := range chans {
		chans[k] = make(chan []byte, 2)
	}
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		wg.Add(1)
		go func(k int) {
			defer wg.Done()
			for b := k; b < nb; b += workers {
				n := min(block, rows-b*block)
				buf := make([]byte, n*cols*4)
				s := uint64(b)*0x9E3779B97F4A7C15 + 1
				for i := 0; i < n; i++ {
					y := 1.0
					for j := 0; j < feats; j++ {
						s ^= s << 13
						s ^= s >> 7
						s ^= s << 17
						u := float64(s>>11)/(1<<53) - 0.5
						x := off[j] + sc[j]*u
						y += float64(j%9+1) * u
						binary.LittleEndian.PutUint32(buf[(i*cols+j)*4:], math.Float32bits(float32(x)))
					}
					s ^= s << 13
					s ^= s >> 7
					s ^= s << 17
					y += 0.1 * (float64(s>>11)/(1<<53) - 0.5)
					binary.LittleEndian.PutUint32(buf[(i*cols+feats)*4:], math.Float32bits(float32(y)))
				}
				chans[k] <- buf
			}
			close(chans[k])
		}(k)
	}
	for b := 0; b < nb; b++ {
		buf := <-chans[b%workers]
		if _, err := w.Write(buf); err != nil {
			panic(err)
		}
	}
	wg.Wait()
	if err := w.Flush(); err != nil {
		panic(err)
	}
	if err := f.Close(); err != nil {
		panic(err)
	}
}
