"""Time to solution of the least-squares peers on an lsgd .npy table (target in the
last column, intercept fitted), for the time-to-solution table in BENCHMARKS.md.

Run:  /usr/bin/python3 .ci/tts_peers.py FILE.npy [--reps 3] [--coef lsgd.json ...]
Prints one line per method: min seconds over reps (after one warm-up), and the
relative error ||θ − θ_lstsq|| / ||θ_lstsq|| (θ = coefficients and intercept)
against numpy.linalg.lstsq in float64. Each --coef FILE is an `lsgd … --json`
output whose coef/intercept are scored the same way.
"""
import argparse
import json
import time
import warnings

import numpy as np
from sklearn.linear_model import LinearRegression, Ridge


def timed(fn, reps):
    fn()
    best, out = float("inf"), None
    for _ in range(reps):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--coef", action="append", default=[])
    a = ap.parse_args()
    T = np.load(a.file, mmap_mode=None)
    X, y = np.ascontiguousarray(T[:, :-1]), np.ascontiguousarray(T[:, -1])
    n, d = X.shape

    def lstsq():
        A = np.empty((n, d + 1), dtype=X.dtype)
        A[:, :d] = X
        A[:, d] = 1
        return np.linalg.lstsq(A, y, rcond=None)[0]

    def normal():
        mu, my = X.mean(axis=0), y.mean()
        Xc = X - mu
        b = np.linalg.solve(Xc.T @ Xc, Xc.T @ (y - my))
        return np.append(b, my - mu @ b)

    def sk(model):
        def f():
            m = model().fit(X, y)
            return np.append(m.coef_, m.intercept_)
        return f

    warnings.filterwarnings("ignore")
    t_ref, ref = timed(lstsq, a.reps)

    def err(th):
        return np.linalg.norm(np.asarray(th) - ref) / np.linalg.norm(ref)

    print(f"{'method':<34}{'seconds':>10}{'relerr':>11}")
    print(f"{'numpy lstsq':<34}{t_ref:>10.4f}{0.0:>11.1e}")
    for name, fn in [("numpy normal equations", normal),
                     ("sklearn LinearRegression", sk(LinearRegression)),
                     ("sklearn Ridge cholesky a=1e-12", sk(lambda: Ridge(alpha=1e-12, solver="cholesky"))),
                     ("sklearn Ridge lsqr a=1e-12", sk(lambda: Ridge(alpha=1e-12, solver="lsqr", tol=1e-10)))]:
        t, th = timed(fn, a.reps)
        print(f"{name:<34}{t:>10.4f}{err(th):>11.1e}")
    for f in a.coef:
        r = json.load(open(f))
        th = np.append(np.asarray(r["coef"]), r["intercept"])
        what = (r.get("optimizer") or r.get("method") or "lsgd") + " " + r.get("precision", "")
        extra = f"  passes {r['passes']:g}" if "passes" in r else ""
        print(f"{'lsgd ' + what:<34}{r['seconds']:>10.4f}{err(th):>11.1e}{extra}")


if __name__ == "__main__":
    main()
