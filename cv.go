package lsgd

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/lsgd/lsgd/internal/par"
)

// CVOptions configure CrossValidate.
type CVOptions struct {
	// L1Ratio r splits λ between the penalties: the objective is
	// MSE + λ·r‖θ‖₁ + λ·(1−r)‖θ‖² on the original scale (intercept not
	// penalized). 1 is the lasso, 0 ridge.
	L1Ratio float64
	// Folds is k, the number of folds drawn at random from Seed (default
	// 5); with FoldColumn the column decides.
	Folds int
	// FoldColumn names the table column holding each row's fold, an
	// integer 0…k−1 (k the largest value plus one, every fold non-empty);
	// the column is not a feature. "": the folds are drawn from Seed.
	FoldColumn string
	Seed       uint64
	// Lambdas is the λ grid (fitted in decreasing order, every λ > 0).
	// nil: NLambdas values from λ_max, the smallest λ at which every
	// coefficient is zero on all rows, down to LambdaMinRatio·λ_max,
	// log-spaced.
	Lambdas        []float64
	NLambdas       int     // default DefaultNLambdas
	LambdaMinRatio float64 // default DefaultLambdaMinRatio
	// Tol is the relative duality gap every fit on the path stops at
	// (default DefaultGapTol).
	Tol float64
	// Features lists the feature columns (nil: every column but the
	// target and the fold column).
	Features []int
}

// CVResult is a cross-validated regularization path and the model refit
// on all rows at the λ with the least cross-validated error.
type CVResult struct {
	Lambdas []float64 `json:"lambdas"` // decreasing
	// CVMSE[k] is the mean over the folds of the held-out MSE at
	// Lambdas[k], weighted by the folds' rows; CVSE[k] its standard error
	// (the weighted spread of the folds' MSEs over √(k−1), as cv.glmnet).
	CVMSE []float64 `json:"cv_mse"`
	CVSE  []float64 `json:"cv_se"`
	// Nonzero[k] counts the non-zero coefficients of the fit on all rows
	// at Lambdas[k].
	Nonzero []int `json:"nonzero"`
	// LambdaMin has the least CVMSE (the largest such λ on a tie);
	// Lambda1SE is the largest λ whose CVMSE is within one standard error
	// of that minimum (the one-standard-error rule).
	LambdaMin float64 `json:"lambda_min"`
	Lambda1SE float64 `json:"lambda_1se"`
	IndexMin  int     `json:"index_min"`
	Index1SE  int     `json:"index_1se"`
	// Linear is the fit on all rows at LambdaMin, certified by ElasticNet.
	Linear
	ElasticNet *ElasticNetCert `json:"elastic_net"`
	L1Ratio    float64         `json:"l1_ratio"`
	Folds      int             `json:"folds"`
	FoldRows   []int           `json:"fold_rows"`
	// FoldMSE[f][k] is fold f's held-out MSE at Lambdas[k].
	FoldMSE [][]float64 `json:"fold_mse"`
	Passes  float64     `json:"passes"`  // reads of the whole data: 1
	Seconds float64     `json:"seconds"` // compute, the Gram pass included
	// GramSeconds is the part of Seconds spent reading the rows (the fold
	// Gram matrices); the rest is d×d work.
	GramSeconds float64  `json:"gram_seconds"`
	Backend     string   `json:"backend"`
	Device      string   `json:"device"`
	Precision   string   `json:"precision"`
	Warnings    []string `json:"warnings,omitempty"`
	// Fold is each row's fold; PathCoef[k] and PathIntercept[k] the fit on
	// all rows at Lambdas[k].
	Fold          []int       `json:"-"`
	PathCoef      [][]float64 `json:"-"`
	PathIntercept []float64   `json:"-"`
}

// CrossValidate runs k-fold cross-validation of the elastic net (the
// gaussian family) over a λ grid in one read of the rows: every fold's
// Gram matrix G_f = Σ x̃x̃ᵀ over its rows (Data.Gram; with the ones
// column, so the column sums and counts come with it) is formed on the
// backend, the full Gram matrix is G = Σ G_f and fold f's training rows
// have G − G_f. Each training split is then centred and standardized from
// its own sums and fitted along the whole path by coordinate descent
// (warm starts, duality-gap stopping); fold f's held-out MSE of a fit
// (θ, b) is computed from G_f about the fold's own means:
//
//	MSE_f = (b + m_fᵀw)² + wᵀ·Cov_f·w,  w = (θ, −1) over (features, target)
//
// with m_f and Cov_f the fold's column means and covariance. Everything
// after the Gram pass is d×d work. The model on all rows is refit at
// λ_min from G.
//
// A backend whose Gram takes only contiguous row ranges (the GPU) gets a
// copy of the table with its rows grouped by fold, unless the folds are
// contiguous already (a sorted fold column).
func CrossValidate(ctx context.Context, b Backend, t *Table, opt CVOptions) (*CVResult, error) {
	start := time.Now()
	if err := t.Check(); err != nil {
		return nil, &InputError{Msg: err.Error()}
	}
	t = unitWeights(t)
	opt, err := opt.resolved()
	if err != nil {
		return nil, err
	}
	fcol := -1
	if opt.FoldColumn != "" {
		for j, name := range t.Names {
			if name == opt.FoldColumn {
				fcol = j
				break
			}
		}
		if fcol < 0 || fcol == t.Target {
			return nil, inputErrorf("%s: no fold column %q besides the target", t.Label(), opt.FoldColumn)
		}
	}
	feats := opt.Features
	if feats == nil {
		for j := 0; j < t.Cols; j++ {
			if j != t.Target && j != fcol {
				feats = append(feats, j)
			}
		}
	}
	for _, j := range feats {
		if j < 0 || j >= t.Cols || j == t.Target || j == fcol {
			return nil, inputErrorf("%s: column %d cannot be a feature", t.Label(), j)
		}
	}
	if len(feats) == 0 {
		return nil, inputErrorf("%s: no feature columns", t.Label())
	}
	fold, k, err := assignFolds(t, fcol, opt.Folds, opt.Seed)
	if err != nil {
		return nil, err
	}
	// Rows grouped by fold: order[lo_f:hi_f] are fold f's rows.
	order, ranges := groupFolds(fold, k)
	res := &CVResult{L1Ratio: opt.L1Ratio, Folds: k, Fold: fold, Backend: b.Name(), Device: b.Device(),
		Precision: b.Precision().String(), Passes: 1}
	for _, r := range ranges {
		res.FoldRows = append(res.FoldRows, r.Len())
	}
	names := make([]string, len(feats))
	for a, j := range feats {
		names[a] = t.Name(j)
	}
	res.Features = names

	gramStart := time.Now()
	var grams [][]float64
	if t.Map != nil {
		grams, err = foldGramsWindowed(b, t, fold, k)
	} else {
		grams, err = foldGrams(b, t, order, ranges)
	}
	if err != nil {
		return nil, err
	}
	res.GramSeconds = time.Since(gramStart).Seconds()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lsgd: interrupted after the Gram pass: %w", err)
	}
	if err := cvPath(t, grams, feats, opt, res); err != nil {
		return nil, err
	}
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// CrossValidateGrams is CrossValidate from fold Gram matrices formed
// elsewhere (lsgd-beam forms them in a pipeline): grams[f] is Σ w_i·x̃_i x̃_iᵀ
// over fold f's rows, p×p (p = t.Cols+1) as Data.Gram returns it, over
// t's columns. Only t's shape, names and target are read, not its rows.
// The result has no row folds, backend or timings, and FoldRows holds
// each fold's Σ w_i rounded (its row count when unweighted): the caller
// that counted the rows may set them.
func CrossValidateGrams(t *Table, grams [][]float64, feats []int, opt CVOptions) (*CVResult, error) {
	opt, err := opt.resolved()
	if err != nil {
		return nil, err
	}
	if len(grams) < 2 {
		return nil, inputErrorf("cross-validation needs at least 2 folds, got %d", len(grams))
	}
	p := t.Cols + 1
	for f, G := range grams {
		if len(G) != p*p {
			return nil, fmt.Errorf("lsgd: fold %d's Gram matrix has %d entries, want %d×%d", f, len(G), p, p)
		}
	}
	for _, j := range feats {
		if j < 0 || j >= t.Cols || j == t.Target {
			return nil, inputErrorf("%s: column %d cannot be a feature", t.Label(), j)
		}
	}
	res := &CVResult{L1Ratio: opt.L1Ratio, Folds: len(grams), Passes: 1}
	for _, G := range grams {
		res.FoldRows = append(res.FoldRows, int(math.Round(G[p*p-1])))
	}
	for _, j := range feats {
		res.Features = append(res.Features, t.Name(j))
	}
	if err := cvPath(t, grams, feats, opt, res); err != nil {
		return nil, err
	}
	return res, nil
}

// cvPath is CrossValidate after the Gram pass: the path on all rows, each
// fold's path and held-out MSE, λ_min, λ_1se and the refit, into res.
func cvPath(t *Table, grams [][]float64, feats []int, opt CVOptions, res *CVResult) error {
	k := len(grams)
	p := t.Cols + 1
	full := make([]float64, p*p)
	for _, G := range grams {
		for i, v := range G {
			full[i] += v
		}
	}

	// The path on all rows: the grid, the non-zero counts, the refit.
	prAll, scAll, bad := enetStats(full, p, feats, t.Target, true)
	if bad >= 0 {
		j := feats[bad]
		return constantColumn(t, j, full[j*p+p-1]/full[p*p-1])
	}
	lambdas := sortedDescending(opt.Lambdas)
	if lambdas == nil {
		lmax := prAll.pathLambdaMax(scAll, opt.L1Ratio)
		if lmax == 0 {
			return inputErrorf("%s: the target is uncorrelated with every feature (λ_max = 0): nothing to regularize", t.Label())
		}
		lambdas = LambdaGrid(lmax, opt.NLambdas, opt.LambdaMinRatio)
	}
	res.Lambdas = lambdas
	nl := len(lambdas)
	all := prAll.path(scAll, lambdas, opt.L1Ratio, opt.Tol, true)
	res.Nonzero = make([]int, nl)
	for i, pt := range all {
		for _, v := range pt.Beta {
			if v != 0 {
				res.Nonzero[i]++
			}
		}
		res.PathCoef = append(res.PathCoef, pt.Coef)
		res.PathIntercept = append(res.PathIntercept, pt.Intercept)
	}

	// Each fold: the training split's path, scored on the fold.
	res.FoldMSE = make([][]float64, k)
	errs := make([]error, k)
	par.For(k, 0, func(_, f int) {
		res.FoldMSE[f], errs[f] = foldPath(t, full, grams[f], p, feats, f, lambdas, opt)
	})
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	res.CVMSE, res.CVSE = make([]float64, nl), make([]float64, nl)
	// Each fold counts by its rows, or by its weight Σ w_i for a weighted
	// table (the Gram's last entry).
	foldW, n := make([]float64, k), 0.0
	for f, G := range grams {
		foldW[f] = G[p*p-1]
		n += foldW[f]
	}
	for i := 0; i < nl; i++ {
		m := 0.0
		for f := 0; f < k; f++ {
			m += foldW[f] * res.FoldMSE[f][i]
		}
		m /= n
		v := 0.0
		for f := 0; f < k; f++ {
			e := res.FoldMSE[f][i] - m
			v += foldW[f] * e * e
		}
		res.CVMSE[i] = m
		res.CVSE[i] = math.Sqrt(v / n / float64(k-1))
	}
	for i := 1; i < nl; i++ {
		if res.CVMSE[i] < res.CVMSE[res.IndexMin] {
			res.IndexMin = i
		}
	}
	limit := res.CVMSE[res.IndexMin] + res.CVSE[res.IndexMin]
	for i := 0; i <= res.IndexMin; i++ {
		if res.CVMSE[i] <= limit {
			res.Index1SE = i
			break
		}
	}
	res.LambdaMin, res.Lambda1SE = lambdas[res.IndexMin], lambdas[res.Index1SE]

	// The refit on all rows at λ_min (its path point) and its certificate.
	pt := all[res.IndexMin]
	res.Coef, res.Intercept = pt.Coef, pt.Intercept
	l1, l2 := enetPenalty(res.LambdaMin, opt.L1Ratio)
	at2 := scAll.AT * scAll.AT
	cert := &ElasticNetCert{L1: l1, L2: l2, Primal: pt.Primal / at2, Dual: pt.Dual / at2, Gap: pt.Gap / at2,
		Tol: opt.Tol, Nonzero: res.Nonzero[res.IndexMin], Sweeps: pt.Sweeps}
	if pt.Dual > 0 {
		cert.RelGap = pt.Gap / pt.Dual
	}
	res.ElasticNet = cert
	for i, pt := range all {
		if !pt.Converged {
			res.Warnings = append(res.Warnings, fmt.Sprintf("the fit on all rows at λ = %.4g stopped at %d sweeps with relative gap %.2g",
				lambdas[i], pt.Sweeps, pt.Gap/math.Max(pt.Dual, math.SmallestNonzeroFloat64)))
			break
		}
	}
	return nil
}

// resolved checks the options and fills in the defaults.
func (opt CVOptions) resolved() (CVOptions, error) {
	switch {
	case opt.L1Ratio < 0 || opt.L1Ratio > 1 || math.IsNaN(opt.L1Ratio):
		return opt, inputErrorf("the L1 ratio must be in [0, 1], got %g", opt.L1Ratio)
	case opt.Folds < 0 || opt.Folds == 1:
		return opt, inputErrorf("cross-validation needs at least 2 folds, got %d", opt.Folds)
	case opt.NLambdas < 0:
		return opt, inputErrorf("the number of λ values must be positive, got %d", opt.NLambdas)
	case opt.LambdaMinRatio < 0 || opt.LambdaMinRatio >= 1 || math.IsNaN(opt.LambdaMinRatio):
		return opt, inputErrorf("the λ ratio must be in (0, 1), got %g", opt.LambdaMinRatio)
	case opt.Tol < 0 || opt.Tol >= 1 || math.IsNaN(opt.Tol):
		return opt, inputErrorf("tolerance must be in (0, 1), got %g", opt.Tol)
	}
	for _, l := range opt.Lambdas {
		if !(l > 0) || math.IsInf(l, 0) {
			return opt, inputErrorf("every λ must be a positive number, got %g", l)
		}
	}
	if opt.Folds == 0 {
		opt.Folds = 5
	}
	if opt.NLambdas == 0 {
		opt.NLambdas = DefaultNLambdas
	}
	if opt.LambdaMinRatio == 0 {
		opt.LambdaMinRatio = DefaultLambdaMinRatio
	}
	if opt.Tol == 0 {
		opt.Tol = DefaultGapTol
	}
	return opt, nil
}

// foldPath fits fold f's training split (Gram full − Gf) along the path
// and returns the fold's held-out MSE at every λ.
func foldPath(t *Table, full, Gf []float64, p int, feats []int, f int, lambdas []float64, opt CVOptions) ([]float64, error) {
	tr := make([]float64, len(full))
	for i := range tr {
		tr[i] = full[i] - Gf[i]
	}
	pr, sc, bad := enetStats(tr, p, feats, t.Target, true)
	if bad >= 0 {
		return nil, inputErrorf("%s: column %q is constant on the training rows of fold %d: it duplicates the intercept there; drop it or draw other folds",
			t.Label(), t.Name(feats[bad]), f)
	}
	// The fold's own means and covariance, over (features, target).
	d := len(feats)
	cols := append(append([]int(nil), feats...), t.Target)
	c := p - 1
	nf := Gf[c*p+c]
	if !(nf > 0) {
		return nil, inputErrorf("%s: every row of fold %d has weight 0: it cannot be scored; draw other folds", t.Label(), f)
	}
	m := make([]float64, d+1)
	for a, j := range cols {
		m[a] = Gf[j*p+c] / nf
	}
	cov := make([]float64, (d+1)*(d+1))
	for a, ja := range cols {
		for bb, jb := range cols {
			cov[a*(d+1)+bb] = Gf[ja*p+jb]/nf - m[a]*m[bb]
		}
	}
	pts := pr.path(sc, lambdas, opt.L1Ratio, opt.Tol, true)
	out := make([]float64, len(lambdas))
	w := make([]float64, d+1)
	for i, pt := range pts {
		copy(w, pt.Coef)
		w[d] = -1
		bias := pt.Intercept + dot(m, w)
		q := 0.0
		for a := 0; a <= d; a++ {
			if w[a] == 0 {
				continue
			}
			q += w[a] * dot(cov[a*(d+1):(a+1)*(d+1)], w)
		}
		out[i] = bias*bias + math.Max(q, 0)
	}
	return out, nil
}

// assignFolds returns each row's fold and the number of folds: from the
// fold column, or balanced and shuffled from the seed (fold of the i-th
// row of a random permutation: i·k/n).
func assignFolds(t *Table, j, k int, seed uint64) ([]int, int, error) {
	n := t.Rows
	fold := make([]int, n)
	if j >= 0 {
		k = 0
		for i := 0; i < n; i++ {
			v := t.At(i, j)
			if v != math.Trunc(v) || v < 0 || v >= 1<<20 {
				return nil, 0, inputErrorf("%s: fold column %q: %s holds %g; want an integer 0…k−1", t.Label(), t.Name(j), t.Where(i), v)
			}
			fold[i] = int(v)
			k = max(k, fold[i]+1)
		}
		count := make([]int, k)
		for _, f := range fold {
			count[f]++
		}
		for f, c := range count {
			if c == 0 {
				return nil, 0, inputErrorf("%s: fold column %q has no row in fold %d (folds are 0…%d)", t.Label(), t.Name(j), f, k-1)
			}
		}
		if k < 2 {
			return nil, 0, inputErrorf("%s: fold column %q names one fold; cross-validation needs at least 2", t.Label(), t.Name(j))
		}
		return fold, k, nil
	}
	if n < k {
		return nil, 0, inputErrorf("%s: %d rows cannot make %d folds", t.Label(), n, k)
	}
	perm := rand.New(rand.NewPCG(seed, 0x6c736764)).Perm(n)
	for i, r := range perm {
		fold[r] = int(int64(i) * int64(k) / int64(n))
	}
	return fold, k, nil
}

// groupFolds returns the rows in fold order (within a fold, in table
// order) and each fold's range of positions in it.
func groupFolds(fold []int, k int) ([]int32, []Rows) {
	count := make([]int, k+1)
	for _, f := range fold {
		count[f+1]++
	}
	for f := 1; f <= k; f++ {
		count[f] += count[f-1]
	}
	ranges := make([]Rows, k)
	for f := 0; f < k; f++ {
		ranges[f] = Rows{Lo: count[f], Hi: count[f+1]}
	}
	order := make([]int32, len(fold))
	next := append([]int(nil), count[:k]...)
	for i, f := range fold {
		order[next[f]] = int32(i)
		next[f]++
	}
	return order, ranges
}

// foldGrams loads the table and returns every fold's Gram matrix: one
// dispatch sequence, each row read once. When the rows are already
// grouped (order is the identity) the folds are contiguous ranges;
// otherwise the backend's Shuffled rows index the grouping order, and a
// backend that takes only contiguous ranges gets a copy of the table with
// its rows in that order.
func foldGrams(b Backend, t *Table, order []int32, ranges []Rows) ([][]float64, error) {
	identity := true
	for i, r := range order {
		if int(r) != i {
			identity = false
			break
		}
	}
	// The Gram pass never rewrites the table, so the backend may keep its
	// storage.
	data, err := b.Load(t, true)
	if err != nil {
		return nil, err
	}
	release := func() { data.Release() }
	defer func() { release() }()
	if !identity {
		if err := data.SetOrder(order); err != nil {
			return nil, err
		}
	}
	grams := make([][]float64, len(ranges))
	for f, r := range ranges {
		r.Shuffled = !identity
		G, err := data.Gram(r)
		if err != nil && r.Shuffled && f == 0 {
			// Contiguous ranges only: group the rows on the host.
			release()
			g := permuteRows(t, order)
			if data, err = b.Load(g, true); err != nil {
				release = func() {}
				return nil, err
			}
			identity = true
			r.Shuffled = false
			G, err = data.Gram(r)
		}
		if err != nil {
			return nil, err
		}
		grams[f] = G
	}
	return grams, nil
}

// cvWindowBytes is the size of the windows of rows foldGramsWindowed
// groups by fold: small enough to stay in the page cache while each of
// its folds is read.
var cvWindowBytes = 256 << 20

// foldGramsWindowed is foldGrams for a table streamed from disk
// (Table.Map): grouping all rows by fold would read the file once per
// fold, and a grouped copy would not fit in memory. The rows are grouped
// by fold within windows of cvWindowBytes instead, each window's folds
// read while its pages are still cached, and every fold's Gram matrix is
// the sum of its windows' in row order: the file is read once.
func foldGramsWindowed(b Backend, t *Table, fold []int, k int) ([][]float64, error) {
	n := t.Rows
	win := max(1, min(n, cvWindowBytes/max(1, t.Cols*t.Precision().Size())))
	order := make([]int32, n)
	var windows [][]Rows // per window, per fold: its rows' positions in order
	count := make([]int, k+1)
	for lo := 0; lo < n; lo += win {
		hi := min(lo+win, n)
		clear(count)
		for i := lo; i < hi; i++ {
			count[fold[i]+1]++
		}
		rs := make([]Rows, k)
		for f := 0; f < k; f++ {
			count[f+1] += count[f]
			rs[f] = Rows{Lo: lo + count[f], Hi: lo + count[f+1], Shuffled: true}
		}
		for i := lo; i < hi; i++ {
			order[lo+count[fold[i]]] = int32(i)
			count[fold[i]]++
		}
		windows = append(windows, rs)
	}
	data, err := b.Load(t, true)
	if err != nil {
		return nil, err
	}
	defer data.Release()
	if err := data.SetOrder(order); err != nil {
		return nil, err
	}
	grams := make([][]float64, k)
	add := func(f int, G []float64) {
		if grams[f] == nil {
			grams[f] = G
			return
		}
		for i, v := range G {
			grams[f][i] += v
		}
	}
	for w, rs := range windows {
		if err := windowGrams(b, data, t, order[w*win:rs[k-1].Hi], w*win, rs, add); err != nil {
			return nil, err
		}
	}
	return grams, nil
}

// windowGrams adds the Gram matrix of each fold's rows rs[f] of one
// window (the positions lo… of order, grouped by fold) by add(f, G): from
// data's Shuffled rows, or, where the backend takes contiguous ranges
// only, from a grouped copy of the window.
func windowGrams(b Backend, data Data, t *Table, order []int32, lo int, rs []Rows, add func(int, []float64)) error {
	var local Data
	defer func() {
		if local != nil {
			local.Release()
		}
	}()
	for f, r := range rs {
		if r.Len() == 0 {
			continue
		}
		G, err := data.Gram(r)
		if err != nil && local == nil {
			if local, err = b.Load(permuteRows(t, order), true); err != nil {
				local = nil
				return err
			}
		}
		if local != nil {
			G, err = local.Gram(Rows{Lo: r.Lo - lo, Hi: r.Hi - lo})
		}
		if err != nil {
			return err
		}
		add(f, G)
	}
	return nil
}

// permuteRows returns a packed copy of the rows order[0…] of t, in that
// order.
func permuteRows(t *Table, order []int32) *Table {
	c := &Table{Source: t.Source, Names: t.Names, Target: t.Target, Rows: len(order), Cols: t.Cols, Stride: t.Cols,
		WeightName: t.WeightName}
	if t.Weights != nil {
		c.Weights = make([]float64, len(order))
		for i, r := range order {
			c.Weights[i] = t.Weights[r]
		}
	}
	if t.F32 != nil {
		c.F32 = make([]float32, len(order)*t.Cols)
	} else {
		c.F64 = make([]float64, len(order)*t.Cols)
	}
	const block = 4096
	par.For((len(order)+block-1)/block, 0, func(_, k int) {
		for i := k * block; i < min((k+1)*block, len(order)); i++ {
			src := int(order[i]) * t.Stride
			if t.F32 != nil {
				copy(c.F32[i*t.Cols:(i+1)*t.Cols], t.F32[src:src+t.Cols])
			} else {
				copy(c.F64[i*t.Cols:(i+1)*t.Cols], t.F64[src:src+t.Cols])
			}
		}
	})
	return c
}
