"""NumPy reference ops: the living, bit-exact definition of every op mcusim lowers."""
