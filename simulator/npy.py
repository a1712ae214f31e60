"""Reading a user's ``.npy`` file as untrusted input: the header is checked before any data is.

``np.load`` trusts the header: a 100-byte file declaring 2^40 elements asks for terabytes
(MemoryError) and one declaring 10^20 overflows (OverflowError). :func:`load_npy` reads the
header alone (NumPy's format: magic, version, a dict of descr / fortran_order / shape; numpy
docs "numpy.lib.format"), refuses non-numeric dtypes, computes the declared size with Python
integers, compares it with ``max_bytes`` and with what the file really holds, and only then
loads. Every refusal is the caller's error type naming the file.
"""
from __future__ import annotations

import math
import os
import tokenize

import numpy as np

from .errors import ConfigError, InexactInput

MAX_NPY_BYTES = 1 << 30          # 1 GiB: a host budget no input or calibration set needs


def read_npy_header(path, *, error=ConfigError) -> tuple[tuple, np.dtype, int]:
    """(shape, dtype, data offset) from the header of the .npy at ``path``."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as f:
            version = fmt.read_magic(f)
            if version == (1, 0):
                shape, _fortran, dtype = fmt.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _fortran, dtype = fmt.read_array_header_2_0(f)
            else:
                raise ValueError(f"format version {version[0]}.{version[1]} is not 1.0 or 2.0")
            return tuple(shape), np.dtype(dtype), f.tell()
    except OSError as err:
        raise error(f"{path}: cannot read: {err.strerror or err}") from None
    except (ValueError, TypeError, SyntaxError, EOFError, tokenize.TokenError) as err:
        raise error(f"{path}: not a .npy array ({str(err)[:120]})") from None


def load_npy(path, *, max_bytes: int = MAX_NPY_BYTES, error=ConfigError) -> np.ndarray:
    """The numeric array in the .npy at ``path``, refused (``error``) if its header declares
    more than ``max_bytes`` or more data than the file holds, or a non-numeric dtype."""
    shape, dtype, offset = read_npy_header(path, error=error)
    if dtype.kind not in "biuf" or dtype.fields is not None or dtype.subdtype is not None:
        raise error(f"{path}: dtype {dtype} is not a plain number type")
    if any(not isinstance(d, int) or d < 0 for d in shape):
        raise error(f"{path}: the header declares shape {list(shape)[:8]}")
    declared = math.prod(shape) * dtype.itemsize
    if declared > max_bytes:
        raise error(f"{path}: the header declares {list(shape)[:8]} {dtype} = {declared:,} bytes, "
                    f"more than the {max_bytes:,} allowed")
    if os.path.getsize(path) - offset < declared:
        raise error(f"{path}: the header declares {declared:,} bytes of data, the file holds "
                    f"{max(os.path.getsize(path) - offset, 0):,}")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise error(f"{path}: not a .npy array ({str(err)[:120]})") from None


class CastNote(UserWarning):
    """A user's data was converted without loss (the CLI prints it as a note)."""


def exact_float32(x: np.ndarray, where: str = "input") -> np.ndarray:
    """float64 ``x`` as float32 when every value survives the round trip float64 -> float32 ->
    float64 bit for bit (NumPy's default dtype for data that was float32 all along), with a
    :class:`CastNote`; :class:`~simulator.errors.InexactInput` naming the first value that does
    not. Any other dtype is returned as it is."""
    import warnings


    x = np.asarray(x)
    if x.dtype != np.float64:
        return x
    with np.errstate(over="ignore"):
        y = x.astype(np.float32)
    lost = np.flatnonzero(~((y.astype(np.float64) == x) | (np.isnan(x) & np.isnan(y))).reshape(-1))
    if lost.size:
        i = int(lost[0])
        idx = tuple(int(v) for v in np.unravel_index(i, x.shape)) if x.ndim else ()
        raise InexactInput(f"{where}: float64 value {float(x.reshape(-1)[i])!r} at index {list(idx)} "
                           f"is not exactly a float32 ({lost.size} of {x.size} values are not): "
                           "pass float32 data (x.astype(np.float32)) if the rounding is intended")
    warnings.warn(CastNote(f"{where}: float64 values cast to float32 (every value is exactly "
                           "representable)"), stacklevel=2)
    return y
