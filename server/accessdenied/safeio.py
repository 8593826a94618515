"""Bounded, special-file-safe reading: the one way every reader opens a workspace file.

A cloned repository may hold FIFOs, sockets, device nodes or symlinks to them
(`events.json -> /dev/stdin`, `big.log -> /dev/zero`). Opening a FIFO blocks until a
writer appears; a device never ends. Every reader therefore opens with `O_NONBLOCK`,
checks the opened descriptor with `fstat` (no race between check and open), refuses
anything that is not a regular file, and reads at most a bounded number of bytes.
Text is decoded from UTF-8 (a BOM is dropped) and, for logs, UTF-16 with a BOM or
BOM-less (Windows PowerShell's `>` redirect), with replacement characters for invalid
bytes unless asked to be strict.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path
from typing import IO

#: Default size bound of a text file read whole (policy, config, template).
MAX_TEXT_BYTES = 16 * 1024 * 1024

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)


class UnsafeFileError(OSError):
    """A path that is not a regular file, or a file larger than the bound."""


def kind_of(mode: int) -> str:
    """What a `st_mode` is, in words ("a regular file", "a FIFO", ...)."""
    if stat.S_ISREG(mode):
        return "a regular file"
    for test, name in _KINDS:
        if test(mode):
            return name
    return "a special file"


def is_regular_file(path: str | os.PathLike[str]) -> bool:
    """Whether `path` (symlinks followed) is a regular file; never opens it."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_special_file(path: str | os.PathLike[str]) -> bool:
    """Whether `path` (symlinks followed) exists and is a FIFO, socket or device."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def open_regular(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open a regular file for binary reading without ever blocking on a special file.

    Raises UnsafeFileError for FIFOs, sockets, devices and directories (symlinks to them
    included), OSError for the usual reasons.
    """
    fd = os.open(os.fspath(path), _FLAGS)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeFileError(f"{path}: {kind_of(st.st_mode)}, not read")
        if _FLAGS & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str | os.PathLike[str], limit: int = MAX_TEXT_BYTES) -> bytes:
    """The whole content of a regular file of at most `limit` bytes."""
    with open_regular(path) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise UnsafeFileError(
                f"{path}: {size} bytes, larger than {limit}; not read"
            )
        data = fh.read(limit + 1)
    if len(data) > limit:  # grew while reading
        raise UnsafeFileError(f"{path}: larger than {limit} bytes; not read")
    return data


def sniff_encoding(head: bytes) -> str:
    """The codec of text starting with `head`: utf-8-sig, utf-16(-le/-be) or utf-8."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 4:
        pairs = len(sample) // 2
        even = sample[0 : pairs * 2 : 2].count(0)
        odd = sample[1 : pairs * 2 : 2].count(0)
        # BOM-less UTF-16 of mostly-ASCII text: every other byte is NUL.
        if odd > pairs * 0.6 and even < pairs * 0.1:
            return "utf-16-le"
        if even > pairs * 0.6 and odd < pairs * 0.1:
            return "utf-16-be"
    return "utf-8"


def has_utf8_bom(data: bytes) -> bool:
    """Whether `data` starts with a UTF-8 byte order mark."""
    return data.startswith(codecs.BOM_UTF8)


def decode_text(data: bytes, errors: str = "replace", utf16: bool = False) -> str:
    """`data` as text: UTF-8 (BOM dropped), invalid bytes replaced.

    With `utf16` (logs), UTF-16 with or without a BOM is recognised too; with
    `errors="strict"` invalid bytes raise UnicodeDecodeError instead.
    """
    encoding = sniff_encoding(data) if utf16 else "utf-8-sig"
    text = data.decode(encoding, errors)
    return text.removeprefix("\ufeff")


def read_text(
    path: str | os.PathLike[str],
    limit: int = MAX_TEXT_BYTES,
    errors: str = "replace",
    utf16: bool = False,
) -> str:
    """A regular file's text, bounded and decoded as `decode_text` does (newlines kept)."""
    return decode_text(read_bytes(path, limit), errors, utf16)


def read_text_or_none(
    path: str | os.PathLike[str], limit: int = MAX_TEXT_BYTES, errors: str = "replace"
) -> str | None:
    """`read_text`, or None when the file is missing, special, too big or unreadable."""
    try:
        return read_text(path, limit, errors)
    except (OSError, ValueError):
        return None


def read_head(path: str | os.PathLike[str], size: int = 4096) -> bytes:
    """At most the first `size` bytes of a regular file (b"" when it cannot be read)."""
    try:
        with open_regular(path) as fh:
            return fh.read(size)
    except (OSError, ValueError):
        return b""


def is_within(
    path: str | os.PathLike[str], roots: list[Path] | tuple[Path, ...]
) -> bool:
    """Whether `path`, symlinks resolved, lies inside one of `roots` (also resolved)."""
    try:
        real = Path(os.path.realpath(path))
    except (OSError, ValueError):
        return False
    for root in roots:
        try:
            base = Path(os.path.realpath(root))
        except (OSError, ValueError):
            continue
        if real == base or base in real.parents:
            return True
    return False


#: A YAML document expanding (aliases followed) to more nodes than this is refused.
MAX_YAML_NODES = 200_000


def _yaml_children(node: object) -> list[object]:
    value = getattr(node, "value", None)
    if not isinstance(value, list):
        return []  # a scalar
    out: list[object] = []
    for item in value:
        if isinstance(item, tuple):  # a mapping's (key, value)
            out.extend(item)
        else:
            out.append(item)
    return out


def yaml_too_large(node: object, limit: int = MAX_YAML_NODES) -> bool:
    """Whether a composed YAML node graph expands past `limit` nodes, or is recursive.

    `yaml.compose` shares aliased nodes, so a "billion laughs" document is small when
    composed and explodes when walked as a tree (2.5 GB and minutes for 9 levels).
    Sizes are computed once per distinct node, iteratively (no recursion limit).
    """
    sizes: dict[int, int] = {}
    visiting: set[int] = set()
    stack: list[tuple[object, bool]] = [(node, False)]
    while stack:
        n, done = stack.pop()
        key = id(n)
        children = _yaml_children(n)
        if done:
            visiting.discard(key)
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > limit:
                return True
            sizes[key] = total
            continue
        if key in sizes:
            continue
        visiting.add(key)
        stack.append((n, True))
        for c in children:
            if id(c) in visiting:
                return True  # `&a [*a]`: a document that contains itself
            if id(c) not in sizes:
                stack.append((c, False))
    return False
