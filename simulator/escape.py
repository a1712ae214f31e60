"""The one place where untrusted names become text in another language.

Tensor, op, model and board names come from files mcusim did not write (a downloaded .tflite,
a colleague's .onnx, a board TOML). They never reach generated C, a linker script or a report
raw; each target has one function here::

    c_comment_text(name)    inside /* */ in C or a linker script: a safe subset, bounded length
    md_text(name)           Markdown (GitHub-flavoured): no HTML, links, images or table breaks
    html_text(name)         HTML text or a quoted attribute value
    plot_text(name)         a matplotlib label: no mathtext ($...$), one line, bounded length
    term_text(name)         terminal text: control characters (ESC, CR, ...) shown as \\x1b

Generated code refers to tensors and layers by index (``TENSOR_3``, ``L3``); names appear
only in comments, for the reader. Board and region names are also checked at load time
(:data:`BOARD_NAME`), so the escaping here is a second line of defence for them.
"""
from __future__ import annotations

import html
import re

# Board and region names: what a linker MEMORY name, a file name and a CLI argument all accept.
BOARD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")

C_COMMENT_CHARS = 64
MD_CHARS = 200

# Everything outside this set becomes '_' in a comment: no '*' or '/' (no comment closer or
# opener), no backslash (line splice), no '?' (trigraphs such as ??/), no quotes, no '#',
# no control characters (newline, CR, NUL) and no non-ASCII (bidirectional overrides).
_C_COMMENT_UNSAFE = re.compile(r"[^A-Za-z0-9_.,:;+= -]")
# Markdown punctuation that can start markup: emphasis, code, links and images, tables,
# strikethrough, math; '<' '>' '&' become entities (no HTML, no autolinks).
_MD_ESCAPED = set("\\`*[]|~$!")
_MD_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def shorten(text, limit: int, ellipsis: str = "...") -> str:
    """``text`` as str, cut to at most ``limit`` characters (a 100 KB name stays readable)."""
    s = str(text)
    return s if len(s) <= limit else s[:max(limit - len(ellipsis), 0)] + ellipsis


def c_comment_text(text, limit: int = C_COMMENT_CHARS) -> str:
    """Text safe inside a C (or GNU ld script) ``/* */`` comment: cannot close the comment,
    splice lines, form a trigraph or a directive, whatever ``text`` holds."""
    return _C_COMMENT_UNSAFE.sub("_", shorten(text, limit))


def _md_char(s: str, i: int) -> str:
    c = s[i]
    if c in _MD_ENTITIES:
        return _MD_ENTITIES[c]
    if c in _MD_ESCAPED:
        return "\\" + c
    if c == "_":
        # An underscore between two letters or digits cannot open or close emphasis (GFM
        # spec, "left-flanking delimiter run"): keep conv2d_1 readable, escape the rest.
        inner = 0 < i < len(s) - 1 and s[i - 1].isalnum() and s[i + 1].isalnum()
        return c if inner else "\\_"
    return c


def md_text(text, limit: int = MD_CHARS) -> str:
    """Text that renders as itself in GitHub Markdown, in a paragraph, heading or table cell:
    no raw HTML, no link, image or autolink, no emphasis, no table cell break, one line."""
    s = _CONTROL.sub(" ", shorten(text, limit))
    return "".join(_md_char(s, i) for i in range(len(s)))


def html_text(text, limit: int | None = None) -> str:
    """Text for HTML element content or a double-quoted attribute value."""
    s = str(text) if limit is None else shorten(text, limit)
    return html.escape(_CONTROL.sub(" ", s), quote=True)


def plot_text(text, limit: int = MD_CHARS) -> str:
    """Text for a matplotlib label: '$' would start mathtext (and a malformed formula makes
    savefig raise), so it is escaped; control characters become spaces."""
    return _CONTROL.sub(" ", shorten(text, limit)).replace("$", r"\$")


_TERM_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def term_text(text, limit: int | None = None) -> str:
    """Text for a terminal: escape sequences, carriage returns and bidi overrides cannot move
    the cursor, recolour or reorder what is printed; they are shown as ``\\x1b`` / ``\\u202e``."""
    s = str(text) if limit is None else shorten(text, limit)
    return _TERM_UNSAFE.sub(lambda m: (f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                                       else f"\\u{ord(m[0]):04x}"), s)
