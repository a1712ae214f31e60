"""Running firmware: ELF loading, Unicorn, semihosting, located faults."""
from .firmware import CallResult, Firmware, Machine, RunResult

__all__ = ["Machine", "Firmware", "RunResult", "CallResult"]
