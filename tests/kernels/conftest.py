import pytest

from simulator.guards import guard_defines
from tests.helpers.kernel_harness import KERNEL_BOARDS, kernel_sources


@pytest.fixture(scope="module", params=KERNEL_BOARDS)
def kernel_fw(request):
    """Every kernel plus the guarded-call harness, built once per core for the module."""
    from simulator.machine import Machine
    m = Machine(request.param, ram="256K", stack="8K", max_instructions=100_000_000)
    return m.build(kernel_sources(), defines=guard_defines())
