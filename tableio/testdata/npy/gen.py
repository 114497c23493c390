# Generates the .npy test files with NumPy (run: /usr/bin/python3 gen.py; made with
# numpy 1.24.2). They are real NumPy output, so the reader is tested against
# the format as NumPy writes it, not as lsgd's own writer does.
import numpy as np

a = np.array([[1.5, -2.0, 3.0], [4.0, 5e-300, 6.25]])
np.save("f8.npy", a)
np.save("f4.npy", a.astype("<f4"))
for v in [(2, 0), (3, 0)]:
    with open("v%d.npy" % v[0], "wb") as f:
        np.lib.format.write_array(f, a, version=v)
np.save("fortran.npy", np.asfortranarray(a))
np.save("i8.npy", np.array([[1, 2], [3, 4]], dtype="<i8"))
np.save("be_f8.npy", a.astype(">f8"))
np.save("bool.npy", np.array([[True, False]]))
np.save("object.npy", np.array([[1.0, "x"]], dtype=object), allow_pickle=True)
np.save("struct.npy", np.zeros(2, dtype=[("a", "<f8"), ("b", "<f8")]))
np.save("1d.npy", np.array([1.0, 2.0, 3.0]))
np.save("3d.npy", np.zeros((2, 2, 2)))
np.save("onecol.npy", np.zeros((3, 1)))
np.save("norows.npy", np.zeros((0, 3)))
n = a.copy(); n[1, 2] = np.nan
np.save("nan.npy", n)
i = a.astype("<f4"); i[0, 1] = -np.inf
np.save("inf_f4.npy", i)
o = a.copy(); o[1, 0] = 1e300
np.save("f32overflow.npy", o)
