"""The inbox folder: which files to read, their checksums, and the quarantine for bad ones."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class InboxFile:
    """One file of the inbox with its content checksum (sha256)."""

    path: Path
    data: bytes
    checksum: str

    @property
    def name(self) -> str:
        return self.path.name


def scan(folder: Path) -> list[Path]:
    """Regular, non-hidden files of the inbox, by name (no recursion)."""
    if not folder.is_dir():
        raise FileNotFoundError(
            f"inbox folder {folder} does not exist: create it or pass "
            "--inbox DIR (config key inbox)"
        )
    return sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))


def read(path: Path) -> InboxFile:
    data = path.read_bytes()
    return InboxFile(path, data, hashlib.sha256(data).hexdigest())


def quarantine(item: InboxFile, reason: str, folder: Path, batch_id: str) -> Path:
    """Copy a malformed file to the quarantine folder with a .reason.txt beside it.

    The inbox copy is left in place: its checksum is logged, so it is not read again, and a
    corrected file (new checksum) is staged on the next run.
    """
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{batch_id}__{item.name}"
    target.write_bytes(item.data)
    target.with_name(target.name + ".reason.txt").write_text(
        f"file: {item.path}\nsha256: {item.checksum}\nbatch: {batch_id}\nreason: {reason}\n",
        encoding="utf-8",
    )
    return target
