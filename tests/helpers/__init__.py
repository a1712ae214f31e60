"""Code the test modules share: host builds of the C kernels (hostlib, cstructs), the NumPy
oracles they are checked against, model and graph builders, and repository paths.

A test module never imports another test module: what two of them need lives here (imported as
``from tests.helpers import x``) or in a conftest fixture. tests/test_layout.py checks it.
"""
