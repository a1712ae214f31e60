from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"

# One board per core the issue names; generic-m33 covers ARMv8-M Mainline.
CORE_BOARDS = ["rp2040", "nrf52840", "stm32h743", "stm32f746", "generic-m33"]


@pytest.fixture
def fixture_path():
    return lambda name: FIXTURES / name
