"""A parsed-cache copy (``pipvet.index.parsed_cache``, format 7) taken apart and put back
together, so that tests can damage one field of it and nothing else."""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from typing import Any


@dataclass
class Copy:
    magic: bytes
    head: dict[str, Any]
    times: list[float]  # of the dated releases
    lengths: list[int]  # of each release's files, in bytes
    versions: bytes  # the versions' text
    files: list[bytes]  # each release's files

    @classmethod
    def read(cls, whole: bytes) -> Copy:
        magic, line, rest = whole.split(b"\n", 2)
        head = json.loads(line)
        columns = head["releases"]
        n, m = len(columns["yanked"]), columns["dated"].count("1")
        times = list(struct.unpack_from(f"<{m}d", rest))
        lengths = list(struct.unpack_from(f"<{n}I", rest, 8 * m))
        at = 8 * m + 4 * n
        versions = rest[at : at + columns["versions"]]
        at += columns["versions"]
        files = []
        for length in lengths:
            files.append(rest[at : at + length])
            at += length
        return cls(magic + b"\n", head, times, lengths, versions, files)

    @property
    def columns_at(self) -> int:
        """Where the upload times begin in the copy's bytes."""
        return len(self.magic) + len(self.line) + 1

    @property
    def files_at(self) -> int:
        """Where the first release's files begin in the copy's bytes."""
        return self.columns_at + 8 * len(self.times) + 4 * len(self.lengths) + len(self.versions)

    @property
    def line(self) -> bytes:
        return json.dumps(self.head, separators=(",", ":")).encode("ascii")

    def bytes(self, *, lengths: bool = True) -> bytes:
        """The copy; ``lengths`` true: each release's length is its files' (else as set)."""
        sizes = [len(f) for f in self.files] if lengths else self.lengths
        return b"".join(
            [
                self.magic,
                self.line,
                b"\n",
                struct.pack(f"<{len(self.times)}d", *self.times),
                struct.pack(f"<{len(sizes)}I", *sizes),
                self.versions,
                *self.files,
            ]
        )
