"""Cross-compilation: toolchain drivers, generated linker scripts, the build cache."""
from .build import BuildResult, build_firmware
from .cache import BuildCache, cache_root
from .drivers import available_toolchains, get_toolchain

__all__ = ["BuildResult", "build_firmware", "BuildCache", "cache_root", "available_toolchains", "get_toolchain"]
