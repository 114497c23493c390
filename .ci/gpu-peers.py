#!/usr/bin/env python3
"""lsgd's peers on the GPU, on the same machine and in the same run as .ci/gpu-check.sh.

  python3 .ci/gpu-peers.py --out peers.json [--shapes 10000000x32,10000000x128] [--npy problem.npy]

1. Copy and read bandwidth of the device (PyTorch): dst.copy_(src) over a 4 GiB buffer, counted as
   bytes read + bytes written, and a sum over the same buffer (bytes read). The copy figure is the
   ceiling the issue's target is stated against (fused gradient >= 0.7 of copy bandwidth).
2. The gradient X.T @ (X @ theta - y) in PyTorch (cuBLAS: two GEMVs, so X is read twice) and, when
   CuPy imports, the same in CuPy, for each shape in f32 and f64, on random data made on the device.
   GB/s counts the table's bytes (X and y) once per pass, as lsgd bench does.
3. With --npy (the .npy lsgd gen wrote; features then the target, no intercept): least squares by
   torch.linalg.lstsq (QR, driver gels, the only one on CUDA) and by the normal equations
   (X.T X, Cholesky), f64 and f32, timed with the data already on the device, and the host-to-device
   copy of the table timed separately; relative error of each against the f64 QR solution.

Times are CUDA-event times, median of --reps after warm-up. Each section has its own try, so a
failure leaves the others; the JSON is rewritten after every section.
"""
import argparse
import json
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--shapes", default="10000000x32,10000000x128")
    ap.add_argument("--npy", default="")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--device", default="cuda", help="cpu only to try the script on a machine without a GPU")
    a = ap.parse_args()
    res = {"errors": {}}

    def save():
        with open(a.out, "w") as f:
            json.dump(res, f, indent=1)

    t0 = time.time()
    import torch
    dev = torch.device(a.device)
    cuda = dev.type == "cuda"
    res["torch"] = torch.__version__
    res["device"] = torch.cuda.get_device_name(0) if cuda else "cpu (a try of the script, not a figure)"
    res["import_seconds"] = time.time() - t0
    save()

    def sync():
        if cuda:
            torch.cuda.synchronize()

    def timed(fn, reps):
        for _ in range(3):
            fn()
        sync()
        ms = []
        for _ in range(reps):
            if not cuda:
                t = time.perf_counter()
                fn()
                ms.append((time.perf_counter() - t) * 1e3)
                continue
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            fn()
            e.record()
            e.synchronize()
            ms.append(s.elapsed_time(e))
        return statistics.median(ms), min(ms)

    # 1. copy and read bandwidth
    try:
        n = (4 << 30) // 4 if cuda else (256 << 20) // 4
        src = torch.rand(n, device=dev, dtype=torch.float32)
        dst = torch.empty_like(src)
        med, best = timed(lambda: dst.copy_(src), a.reps)
        res["copy_gbps"] = 2 * n * 4 / med / 1e6
        res["copy_best_gbps"] = 2 * n * 4 / best / 1e6
        med, best = timed(lambda: src.sum(), a.reps)
        res["read_gbps"] = n * 4 / med / 1e6
        del src, dst
        if cuda:
            torch.cuda.empty_cache()
        print(f"copy {res['copy_gbps']:.0f} GB/s (read+write), read {res['read_gbps']:.0f} GB/s", flush=True)
    except Exception as e:  # noqa: BLE001 - report and go on
        res["errors"]["bandwidth"] = repr(e)
    save()

    # 2. gradient, PyTorch and CuPy
    try:
        if not cuda:
            raise ImportError("not on a GPU")
        import cupy
        res["cupy"] = cupy.__version__
    except Exception as e:  # noqa: BLE001
        cupy = None
        res["errors"]["cupy"] = repr(e)
    res["gradient"] = []
    for shape in a.shapes.split(","):
        rows, d = (int(v) for v in shape.split("x"))
        for name, dt in (("f32", torch.float32), ("f64", torch.float64)):
            try:
                g = torch.Generator(device=dev)
                g.manual_seed(1)
                X = torch.randn(rows, d, device=dev, dtype=dt, generator=g)
                y = torch.randn(rows, device=dev, dtype=dt, generator=g)
                th = torch.randn(d, device=dev, dtype=dt, generator=g)
                nbytes = X.numel() * X.element_size() + y.numel() * y.element_size()
                med, best = timed(lambda: X.T @ (X @ th - y), a.reps)
                r = {"impl": "torch", "rows": rows, "features": d, "dtype": name, "ms": med, "best_ms": best,
                     "gbps": nbytes / med / 1e6}
                res["gradient"].append(r)
                print(f"torch grad {shape} {name}: {med:.3f} ms, {r['gbps']:.0f} GB/s", flush=True)
                if cupy is not None:
                    Xc, yc, tc = cupy.from_dlpack(X), cupy.from_dlpack(y), cupy.from_dlpack(th)
                    med, best = timed(lambda: Xc.T @ (Xc @ tc - yc), a.reps)  # same stream: torch events time it
                    res["gradient"].append({"impl": "cupy", "rows": rows, "features": d, "dtype": name, "ms": med,
                                            "best_ms": best, "gbps": nbytes / med / 1e6})
                    del Xc, yc, tc
                del X, y, th
                if cuda:
                    torch.cuda.empty_cache()
            except Exception as e:  # noqa: BLE001
                res["errors"][f"gradient {shape} {name}"] = repr(e)
            save()

    # 3. least squares on lsgd's problem
    if a.npy:
        try:
            import numpy as np
            arr = np.load(a.npy, mmap_mode="r")
            rows, cols = arr.shape
            host = torch.from_numpy(np.ascontiguousarray(arr))
            sync()
            t = time.perf_counter()
            D = host.to(dev)
            sync()
            res["h2d_seconds"] = time.perf_counter() - t
            res["h2d_gbps"] = host.numel() * host.element_size() / res["h2d_seconds"] / 1e9
            res["problem"] = {"rows": rows, "features": cols - 1, "dtype": str(arr.dtype), "file": a.npy}
            del host
            X64 = D[:, :-1].to(torch.float64).contiguous()
            y64 = D[:, -1].to(torch.float64).contiguous()
            del D
            ref = torch.linalg.lstsq(X64, y64.unsqueeze(1), driver="gels").solution.squeeze(1)
            res["ref_coef"] = ref.cpu().tolist()  # the f64 QR solution every relative error is against
            res["lstsq"] = []
            for name, dt in (("f64", torch.float64), ("f32", torch.float32)):
                X = X64 if dt == torch.float64 else X64.to(dt)
                y = y64 if dt == torch.float64 else y64.to(dt)
                routes = {
                    "torch.linalg.lstsq (QR, gels)": lambda: torch.linalg.lstsq(X, y.unsqueeze(1), driver="gels").solution,
                    "normal equations (X.T X, Cholesky)": lambda: torch.cholesky_solve(
                        (X.T @ y).unsqueeze(1), torch.linalg.cholesky(X.T @ X)),
                }
                for route, fn in routes.items():
                    try:
                        med, best = timed(fn, 3)
                        sol = fn().squeeze(1).to(torch.float64)
                        err = (torch.linalg.norm(sol - ref) / torch.linalg.norm(ref)).item()
                        res["lstsq"].append({"route": route, "dtype": name, "seconds": med / 1e3,
                                             "best_seconds": best / 1e3, "rel_err_vs_f64_qr": err})
                        print(f"{route} {name}: {med / 1e3:.4f} s, relerr {err:.2e}", flush=True)
                    except Exception as e:  # noqa: BLE001
                        res["errors"][f"{route} {name}"] = repr(e)
                    save()
                if dt != torch.float64:
                    del X, y
            ok = [r for r in res["lstsq"] if r["rel_err_vs_f64_qr"] <= 1e-6]
            if ok:
                best = min(ok, key=lambda r: r["seconds"])
                res["fastest_1e-6"] = dict(best, seconds_with_h2d=best["seconds"] + res["h2d_seconds"])
        except Exception as e:  # noqa: BLE001
            res["errors"]["lstsq"] = repr(e)
    save()
    if res["errors"]:
        print("errors:", json.dumps(res["errors"], indent=1), file=sys.stderr)


if __name__ == "__main__":
    main()
