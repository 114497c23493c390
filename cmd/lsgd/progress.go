package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/lsgd/lsgd"
)

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progressBar draws a one-line progress bar on a terminal for fits that
// take longer than delay; it stays silent for short fits. Its fraction is
// the larger of the epochs used (of the maximum) and the certified gap's
// progress on a log scale from where it started to the tolerance, so it
// moves even when a fit converges long before its epoch limit.
type progressBar struct {
	w       io.Writer
	start   time.Time
	delay   time.Duration
	last    time.Time
	tol     float64
	gap0    float64
	drawn   bool
	started bool
}

func newProgressBar(w io.Writer, tol float64) *progressBar {
	return &progressBar{w: w, start: time.Now(), delay: time.Second, tol: tol}
}

func (p *progressBar) update(pr lsgd.Progress) {
	if !p.started && pr.Gap > 0 && !math.IsInf(pr.Gap, 0) {
		p.gap0, p.started = pr.Gap, true
	}
	now := time.Now()
	if now.Sub(p.start) < p.delay || now.Sub(p.last) < 100*time.Millisecond {
		return
	}
	p.last = now
	frac := 0.0
	if pr.MaxEpochs > 0 {
		frac = pr.Epoch / float64(pr.MaxEpochs)
	}
	if p.gap0 > p.tol && pr.Gap > 0 && p.tol > 0 {
		g := math.Log(p.gap0/pr.Gap) / math.Log(p.gap0/p.tol)
		frac = math.Max(frac, g)
	}
	frac = math.Min(math.Max(frac, 0), 1)
	const width = 30
	n := int(frac * width)
	bar := strings.Repeat("█", n) + strings.Repeat("░", width-n)
	fmt.Fprintf(p.w, "\r%s %3.0f%%  iter %d  epoch %.0f/%d  loss %.6g  gap %.2g  %s\x1b[K",
		bar, 100*frac, pr.Iteration, pr.Epoch, pr.MaxEpochs, pr.Loss, pr.Gap,
		now.Sub(p.start).Round(100*time.Millisecond))
	p.drawn = true
}

// clear erases the bar so the next output starts on a clean line.
func (p *progressBar) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}
