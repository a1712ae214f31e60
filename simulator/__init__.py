"""mcusim: an instruction-accurate Cortex-M inference simulator."""
__version__ = "0.1.0"
