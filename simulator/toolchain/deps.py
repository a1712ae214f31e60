"""What a compile read, from the compiler's own dependency output, for the build cache key.

Every compile runs with ``-MD -MF <obj>.d``: the compiler lists each file it opened (the
source and every header, the project's and the toolchain's). The cache key of a build is the
hash of its commands and sources plus the content of exactly those files, so nothing is
scanned that the compile did not read (a FIFO, a link to /dev/zero or 5,000 unrelated headers
beside a source change nothing), and an edited header is still a new build.

    h = hash_file(h, path)               # a regular file of bounded size, else ConfigError
    paths = read_depfile(path, cwd)      # the files a Make-style depfile lists
"""
from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import ConfigError

DEP_TARGET = "mcusim-object"    # the target name compiles are given (-MT): see read_depfile
MAX_INPUT_BYTES = 256 << 20     # a generated model.c holds the weights as text: large, not this


def read_regular(path: Path, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of ``path``, which must be a regular file (a link to one is fine) of at most
    ``limit`` bytes. Opened without blocking, so a FIFO is named, not waited on."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(f"{path} is not a regular file ({file_kind(st.st_mode)}): "
                              "sources and headers must be plain files")
        if st.st_size > limit:
            raise ConfigError(f"{path} is {st.st_size} bytes, more than the {limit} a build "
                              "input may have")
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(limit + 1)
        if len(data) > limit:
            raise ConfigError(f"{path} grew past {limit} bytes while being read")
        return data
    finally:
        os.close(fd)


def file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a plain file"


def hash_file(h, path: Path, role: str = "dep") -> None:
    """Feed ``path`` (name and content) into the hash ``h``."""
    h.update(f"{role} {path}\n".encode())
    h.update(read_regular(path))
    h.update(b"\0")


def read_depfile(path: Path, cwd: Path) -> list[Path]:
    """The prerequisites of a Make-style depfile for target :data:`DEP_TARGET`
    (``mcusim-object: a.c b.h \\``), as absolute paths. Escapes as clang and GCC write them:
    ``\\ `` for a space, ``$$`` for ``$``, ``\\#`` for ``#``."""
    text = path.read_text(errors="surrogateescape").replace("\\\r\n", " ").replace("\\\n", " ")
    deps: list[Path] = []
    for rule in text.split("\n"):
        if not rule.startswith(DEP_TARGET + ":"):
            continue
        for word in _words(rule[len(DEP_TARGET) + 1:]):
            p = Path(word)
            deps.append(p if p.is_absolute() else cwd / p)
    return deps


def _words(text: str) -> list[str]:
    words, cur, i = [], [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text) and text[i + 1] in " #":
            cur.append(text[i + 1])
            i += 2
            continue
        if c == "$" and text[i + 1:i + 2] == "$":
            cur.append("$")
            i += 2
            continue
        if c.isspace():
            if cur:
                words.append("".join(cur))
                cur = []
        else:
            cur.append(c)
        i += 1
    if cur:
        words.append("".join(cur))
    return words
