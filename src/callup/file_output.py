"""The one writer for files callup creates on a user's behalf (exports, rejects, keys, backups, plots).

Every problem is an `InputError` naming the file and the option, never a traceback: the path
is a directory, its folder does not exist (callup does not invent folders from a typo), it
exists and must not be overwritten, or the disk refuses the write. A file is written to a
hidden temporary name beside its target and renamed into place only when complete, so a failed
or interrupted write leaves neither a truncated file nor a stray `.partial`. Files that may
hold personal data or secrets are created owner-only (mode 0600) from the first byte.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import secrets
from collections.abc import Iterator
from typing import IO, Any

from callup.errors import InputError


def check_file(path: pathlib.Path, *, field: str | None = None, overwrite: bool = True) -> pathlib.Path:
    """`path` as a file to write: not a directory, in a folder that exists; `InputError` otherwise."""
    path = pathlib.Path(path)
    if "\x00" in str(path):
        raise InputError(f"{str(path)!r}: a file name cannot contain a NUL character", field=field)
    try:
        if path.is_dir():
            raise InputError(f"{path}: is a directory; give a file name", field=field)
        folder = path.parent
        if not folder.exists():
            raise InputError(f"{path}: the folder {folder} does not exist (create it first)", field=field)
        if not folder.is_dir():
            raise InputError(f"{path}: {folder} is not a folder", field=field)
        if path.exists() and not overwrite:
            raise InputError(f"{path}: exists already; give a new file name", field=field)
    except OSError as exc:  # e.g. a name too long for the file system
        raise InputError(f"{path}: cannot be used as an output file ({exc.strerror or exc})", field=field) from None
    return path


def check_folder(path: pathlib.Path, *, field: str | None = None, create: bool = False, private: bool = True) -> pathlib.Path:
    """`path` as a folder to write files into; with `create`, the folder itself is made when its parent exists."""
    path = pathlib.Path(path)
    if "\x00" in str(path):
        raise InputError(f"{str(path)!r}: a folder name cannot contain a NUL character", field=field)
    try:
        if path.exists() and not path.is_dir():
            raise InputError(f"{path}: exists and is not a folder", field=field)
        if not path.exists():
            if not create:
                raise InputError(f"{path}: the folder does not exist (create it first)", field=field)
            if not path.parent.is_dir():
                raise InputError(f"{path}: the folder {path.parent} does not exist (create it first)", field=field)
            path.mkdir(mode=0o700 if private else 0o755)
    except OSError as exc:
        raise InputError(f"{path}: cannot be used as an output folder ({exc.strerror or exc})", field=field) from None
    return path


def make_folder(path: pathlib.Path, *, field: str | None = None) -> pathlib.Path:
    """`path` as an output folder, created with any missing parents; `InputError` naming `field` if it cannot be."""
    path = pathlib.Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"{path}: exists and is not a directory", field=field)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{path}: cannot create the directory ({exc.strerror or exc})", field=field) from None
    return path


def rejects_file(source: pathlib.Path, rejects_path: pathlib.Path | None) -> pathlib.Path:
    """Where the rejected rows of an input file go: `rejects_path`, or SOURCE.rejects.csv beside it."""
    return pathlib.Path(rejects_path) if rejects_path is not None else source.with_name(source.name + ".rejects.csv")


def write_rejects(path: pathlib.Path, rows: list[tuple[int, str]], *, field: str | None = None) -> str:
    """Rejected rows of an input file as CSV `line,reason`, owner-only (they may describe people); the path."""
    from callup import csv_output

    with write_file(path, field=field, text=True, newline="") as fh:
        out = csv_output.writer(fh, lineterminator="\r\n")
        out.writerow(["line", "reason"])
        out.writerows(rows)
    return str(path)


@contextlib.contextmanager
def write_file(path: pathlib.Path, *, field: str | None = None, private: bool = True, text: bool = False,
               overwrite: bool = True, encoding: str = "utf-8", newline: str | None = None) -> Iterator[IO[Any]]:
    """Write `path` atomically: yields a file object on a hidden temporary beside it, renamed on success.

    `private` files are created mode 0600 (personal data, keys, backups); others 0644.
    """
    path = check_file(path, field=field, overwrite=overwrite)
    mode = 0o600 if private else 0o644
    tmp = path.with_name(f".{path.name[:200]}.{secrets.token_hex(4)}.partial")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})", field=field) from None
    done = False
    try:
        os.fchmod(fd, mode)  # the umask may have taken bits away from a public file
        fh: IO[Any] = os.fdopen(fd, "w", encoding=encoding, newline=newline) if text else os.fdopen(fd, "wb")
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        done = True
    except OSError as exc:
        raise InputError(f"{path}: cannot write ({exc.strerror or exc})", field=field) from None
    finally:
        if not done:
            with contextlib.suppress(OSError):
                tmp.unlink()


def write_bytes(path: pathlib.Path, data: bytes, *, field: str | None = None, private: bool = True,
                overwrite: bool = True) -> pathlib.Path:
    with write_file(path, field=field, private=private, overwrite=overwrite) as fh:
        fh.write(data)
    return pathlib.Path(path)


def write_text(path: pathlib.Path, data: str, *, field: str | None = None, private: bool = True,
               overwrite: bool = True) -> pathlib.Path:
    return write_bytes(path, data.encode("utf-8"), field=field, private=private, overwrite=overwrite)
