#!/usr/bin/env python3
"""lsgd train --l1 and lsgd cv beside scikit-learn, in one run.

  /usr/bin/python3 .ci/enet_peers.py --lsgd bin/lsgd --rows 1000000 --features 32 [--out out/enet-bench]

Draws a table (correlated features on different scales, a sparse truth,
noise; seeded) and a fold column, writes them as float64 .npy, and then:

1. Lasso and elastic net at one λ: lsgd train --l1 (compute seconds as it
   reports them, reading excluded) against sklearn Lasso/ElasticNet at the
   loosest tol (1e-4, 1e-5, …) whose objective is within 1e-6 relative of
   the minimum (lsgd at --tol 1e-14), precompute True and False, the faster.
   Objectives compared on lsgd's scale, MSE + λ₁‖θ‖₁ + λ₂‖θ‖²
   (sklearn's alpha = λ₁/2 + λ₂, l1_ratio = (λ₁/2)/alpha).
2. Cross-validation, 5 folds given by the fold column, the λ grid lsgd
   prints (100 values): lsgd cv against LassoCV, ElasticNetCV (r = 0.5 on
   lsgd's scale: sklearn alpha = λ(1 − r/2), l1_ratio = r/(2 − r)) and
   RidgeCV (alpha = n_train·λ, scoring MSE), with PredefinedSplit on the
   same folds. Agreement: the same λ_min, and the refit's coefficients
   within 1e-6 relative (for ridge a Ridge refit at alpha = n·λ_min, not
   timed, since RidgeCV's refit uses the fold's alpha on all rows).

Prints a summary and writes OUT.json.
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
from sklearn.linear_model import ElasticNet, ElasticNetCV, Lasso, LassoCV, Ridge, RidgeCV
from sklearn.model_selection import PredefinedSplit


def draw(n, d, seed):
    """Returns A = [X, fold, y] (n × (d+2), float64) without other copies of X."""
    rng = np.random.default_rng(seed)
    scale = 10.0 ** (np.arange(d) % 5 - 2)
    truth = np.where(np.arange(d) % 3 == 2, 0.0, rng.uniform(-1, 1, d) / scale)
    A = np.empty((n, d + 2))
    common = rng.standard_normal(n)
    A[:, d + 1] = 2.0 + 0.5 * rng.standard_normal(n)
    for j in range(d):
        A[:, j] = 3 * j * scale[j] + scale[j] * (0.5 * common + rng.standard_normal(n))
        A[:, d + 1] += truth[j] * A[:, j]
    fold = np.repeat(np.arange(5), (n + 4) // 5)[:n]
    rng.shuffle(fold)
    A[:, d] = fold
    return A


def objective(X, y, coef, b0, l1, l2):
    r = y - b0 - X @ coef
    return float(r @ r / len(y) + l1 * np.abs(coef).sum() + l2 * coef @ coef)


def lsgd(binary, *args):
    out = subprocess.run([binary, *args, "--backend", "cpu", "--json"], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"lsgd {' '.join(args)} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def best_of(reps, fn):
    best, val = float("inf"), None
    for _ in range(reps):
        t0 = time.perf_counter()
        val = fn()
        best = min(best, time.perf_counter() - t0)
    return best, val


def loadavg():
    return os.getloadavg()[0]


def single(args, X, y, data, report):
    n = len(y)
    xc, yc = X - X.mean(0), y - y.mean()
    lmax = 2 * np.max(np.abs(xc.T @ yc)) / n
    for name, l1, l2 in [("lasso", 0.02 * lmax, 0.0), ("elastic net", 0.02 * lmax, 0.02 * lmax)]:
        ref = lsgd(args.lsgd, "train", "--data", data, "--l1", repr(l1), "--l2", repr(l2), "--tol", "1e-14")
        pstar = objective(X, y, np.array(ref["coef"]), ref["intercept"], l1, l2)
        times = []
        for _ in range(args.reps):
            r = lsgd(args.lsgd, "train", "--data", data, "--l1", repr(l1), "--l2", repr(l2))
            times.append(r["seconds"])
        ours = min(times)
        pours = objective(X, y, np.array(r["coef"]), r["intercept"], l1, l2)
        alpha = l1 / 2 + l2
        rho = (l1 / 2) / alpha
        sk = None
        for pc in (False, True):
            for tol in (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10):
                est = Lasso(alpha=alpha, tol=tol, precompute=pc, max_iter=100000) if l2 == 0 else \
                    ElasticNet(alpha=alpha, l1_ratio=rho, tol=tol, precompute=pc, max_iter=100000)
                t, _ = best_of(args.reps, lambda: est.fit(X, y))
                p = objective(X, y, est.coef_, est.intercept_, l1, l2)
                if abs(p - pstar) <= 1e-6 * pstar:
                    if sk is None or t < sk["seconds"]:
                        sk = {"seconds": t, "tol": tol, "precompute": pc, "rel_obj": (p - pstar) / pstar}
                    break
        row = {"problem": name, "l1": l1, "l2": l2, "lsgd_seconds": ours, "lsgd_rel_obj": (pours - pstar) / pstar,
               "sklearn": sk, "ratio": ours / sk["seconds"] if sk else None, "load": loadavg()}
        report["single"].append(row)
        print(f"{name:12s} lsgd {ours:8.3f} s (obj {row['lsgd_rel_obj']:+.1e})   sklearn {sk['seconds']:8.3f} s "
              f"(tol {sk['tol']:g}, precompute {sk['precompute']}, obj {sk['rel_obj']:+.1e})   ratio {row['ratio']:.3f}"
              f"   load {row['load']:.1f}", flush=True)


def cv(args, X, y, fold, data, report):
    n = len(y)
    split = PredefinedSplit(fold.astype(int))
    for name, r in [("lasso", 1.0), ("elastic net", 0.5), ("ridge", 0.0)]:
        if name in args.skip:
            continue
        o = None
        for _ in range(args.reps):
            run = lsgd(args.lsgd, "cv", "--data", data, "--fold-column", str(X.shape[1] + 1), "--l1-ratio", repr(r),
                       "--n-lambdas", "100")
            if o is None or run["seconds"] < o["seconds"]:
                o = run
        ours = o["seconds"]
        lam = np.array(o["lambdas"])
        coef = np.array(o["coef"])
        if r > 0:
            alpha = lam * (1 - r / 2)
            rho = r / (2 - r)
            est = LassoCV(alphas=alpha, cv=split, tol=args.cv_tol, max_iter=100000, n_jobs=args.jobs) if r == 1 else \
                ElasticNetCV(alphas=alpha, l1_ratio=rho, cv=split, tol=args.cv_tol, max_iter=100000, n_jobs=args.jobs)
            t0 = time.perf_counter()
            est.fit(X, y)
            tsk = time.perf_counter() - t0
            sk_lmin = est.alpha_ / (1 - r / 2)
            skcoef = est.coef_
        else:
            ntrain = n - n / 5
            est = RidgeCV(alphas=ntrain * lam, cv=split, scoring="neg_mean_squared_error")
            t0 = time.perf_counter()
            est.fit(X, y)
            tsk = time.perf_counter() - t0
            sk_lmin = est.alpha_ / ntrain
            skcoef = Ridge(alpha=n * sk_lmin).fit(X, y).coef_
        same = bool(np.isclose(sk_lmin, o["lambda_min"], rtol=1e-9))
        err = float(np.linalg.norm(skcoef - coef) / np.linalg.norm(coef))
        row = {"problem": name, "l1_ratio": r, "lsgd_seconds": ours, "sklearn_seconds": tsk, "speedup": tsk / ours,
               "lambda_min": o["lambda_min"], "sklearn_lambda_min": sk_lmin, "same_lambda_min": same,
               "coef_rel_diff": err, "lsgd_passes": o["passes"], "lsgd_gram_seconds": o["gram_seconds"],
               "load": loadavg()}
        report["cv"].append(row)
        print(f"cv {name:12s} lsgd {ours:8.3f} s ({o['gram_seconds']:.3f} s Gram, {o['passes']:g} pass)   "
              f"sklearn {tsk:8.2f} s   speedup {tsk / ours:6.1f}×   λ_min {o['lambda_min']:.6g} vs {sk_lmin:.6g} "
              f"({'same' if same else 'DIFFERENT'})   coef rel diff {err:.1e}   load {row['load']:.1f}", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lsgd", default="bin/lsgd")
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--features", type=int, default=32)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cv-tol", type=float, default=1e-8, help="sklearn's tol in the CV runs")
    ap.add_argument("--jobs", type=int, default=None, help="sklearn CV n_jobs")
    ap.add_argument("--skip", default="", help="comma-separated: single, cv, lasso, elastic net, ridge")
    ap.add_argument("--out", default="out/enet-bench")
    args = ap.parse_args()
    os.makedirs(os.path.dirname(args.out) or ".", exist_ok=True)
    d = args.features
    A = draw(args.rows, d, 1)
    data = f"{args.out}-{args.rows}x{d}.npy"
    folded = f"{args.out}-{args.rows}x{d}-fold.npy"
    np.save(folded, A)
    if "single" not in args.skip:
        np.save(data, np.ascontiguousarray(A[:, list(range(d)) + [d + 1]]))
    del A
    A = np.load(folded, mmap_mode="r")
    X = np.ascontiguousarray(A[:, :d])
    fold = np.array(A[:, d])
    y = np.array(A[:, d + 1])
    del A
    report = {"rows": args.rows, "features": args.features, "single": [], "cv": [], "load_before": loadavg()}
    print(f"{args.rows}×{args.features}, load average {loadavg():.1f}", flush=True)
    if "single" not in args.skip:
        single(args, X, y, data, report)
    if "cv" not in args.skip:
        cv(args, X, y, fold, folded, report)
    report["load_after"] = loadavg()
    with open(args.out + ".json", "w") as f:
        json.dump(report, f, indent=1)
    for f in (data, folded):
        if os.path.exists(f):
            os.remove(f)


if __name__ == "__main__":
    main()
