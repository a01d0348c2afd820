#!/usr/bin/python3
"""Writes the golden NPY files for rt/data tests with numpy (Debian's python3-numpy).

Run from this directory:  /usr/bin/python3 gen_npy.py
"""
import io

import numpy as np

x = (np.arange(24, dtype=np.float32).reshape(4, 2, 3) - 5) / 4
np.save("x_f4.npy", x)  # the Go writer must reproduce this byte for byte
np.save("x_f8.npy", x.astype(np.float64) / 3)
np.save("x_u1.npy", np.arange(8, dtype=np.uint8).reshape(2, 2, 2) * 30)
np.save("y_i8.npy", np.array([3, 0, 9, 1], dtype=np.int64))
np.save("y_i4.npy", np.array([-1, 2147483647], dtype=np.int32))
np.save("y_f4.npy", np.array([[0.5], [1.5], [2.5], [3.5]], dtype=np.float32))
np.save("scalar_f4.npy", np.float32(2.5))
np.save("empty_f4.npy", np.zeros((0, 3), dtype=np.float32))
np.save("vec_f4.npy", np.array([1, -2, 1e-30], dtype=np.float32))
np.save("big_f8.npy", np.array([1.25, -2.0], dtype=">f8"))
np.save("big_i4.npy", np.array([7, -7], dtype=">i4"))
np.save("fortran_f4.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
np.save("half_f2.npy", np.array([1, 2], dtype=np.float16))
np.save("struct.npy", np.zeros(2, dtype=[("a", "<i4"), ("b", "<f4")]))
np.save("str_U3.npy", np.array(["ab", "cde"]))
with open("v2_f4.npy", "wb") as f:
    np.lib.format.write_array(f, np.array([1.5, 2.5], dtype=np.float32), version=(2, 0))
# A header that ends exactly on a 64-byte boundary before padding: numpy then pads
# with 64 spaces, not 0 (_wrap_header).
np.save("pad64_f4.npy", (np.arange(200, dtype=np.float32) / 8).reshape((2, 10, 10) + (1,) * 11))

# NumPy data sets as Keras' load_data() names their arrays (x_train, y_train, x_test,
# y_test): np.savez_compressed (deflated members) and np.savez (stored members).
xs = np.arange(3 * 2 * 2, dtype=np.uint8).reshape(3, 2, 2) * 20
np.savez_compressed("set_compressed.npz", x_train=xs, y_train=np.array([2, 0, 1], dtype=np.int64),
                    x_test=xs[:2], y_test=np.array([1, 2], dtype=np.int64))
np.savez("set_plain.npz", x_train=xs.astype(np.float32) / 8, x_test=xs[:1].astype(np.float64))
