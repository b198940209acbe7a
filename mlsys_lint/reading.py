"""Reading manuscript files into `Source`s, with one clear reason when that fails."""

from __future__ import annotations

from pathlib import Path

from mlsys_lint import observed
from mlsys_lint.model import Source

MAX_FILE_BYTES = 20 * 1024 * 1024


class UnreadableFile(Exception):
    """A file that is not text we can read; the message is the one-line reason."""


def normalise_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` turned into ``\\n`` (the text positions refer to)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode(data: bytes, path: str) -> Source:
    """Decode a file's bytes (UTF-8, optional BOM) into a `Source`."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnreadableFile("file is UTF-16 encoded; save it as UTF-8")
    if b"\x00" in data:
        raise UnreadableFile("file contains NUL bytes (binary, not text)")
    has_bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise UnreadableFile(f"file is not valid UTF-8 (byte {error.start}: {data[error.start:error.start + 1]!r})") from None
    if "\r" not in text:
        return Source(path, text, has_bom=has_bom)
    newline = "\r\n" if "\r\n" in text else "\n"
    return Source(path, normalise_newlines(text), has_bom=has_bom, newline=newline)


def read_bytes(path: Path) -> bytes:
    """Read one file's bytes; raises `UnreadableFile` with a one-line reason."""
    try:
        data = observed.read_bytes(path, limit=MAX_FILE_BYTES)
    except observed.TooLarge as large:
        raise UnreadableFile(f"file is too large ({large.size / 1_048_576:.1f} MB; the limit is "
                             f"{MAX_FILE_BYTES // 1_048_576} MB)") from None
    except FileNotFoundError:
        raise UnreadableFile("file disappeared while linting") from None
    except IsADirectoryError:
        raise UnreadableFile("is a directory, not a file") from None
    except PermissionError:
        raise UnreadableFile("permission denied") from None
    except OSError as error:
        raise UnreadableFile(error.strerror or str(error)) from None
    except ValueError:  # a NUL byte in the name (a YAML string can hold one)
        raise UnreadableFile("not a valid file name") from None
    return data


def read_source(path: Path) -> Source:
    """Read and decode one file; raises `UnreadableFile` with a one-line reason."""
    return decode(read_bytes(path), str(path))
