"""The unified diff ``pipvet init`` and ``pipvet relax`` show for a file they would write.

Pure: text in, text out.
"""

from __future__ import annotations

__all__ = ["unified_diff"]

_BOM = "\ufeff"


def unified_diff(old: str | None, new: str, name: str) -> str:
    """A unified diff from ``old`` (None: the file does not exist yet) to ``new``.

    Line endings are shown as they are (a CRLF file's diff keeps its ``\\r``); a last line
    without a newline gets git's "\\ No newline at end of file" marker.
    """
    import difflib  # only a dry run shows diffs: kept off the start-up path

    before = (old or "").removeprefix(_BOM).splitlines(keepends=True)
    after = new.removeprefix(_BOM).splitlines(keepends=True)
    lines = difflib.unified_diff(
        before,
        after,
        fromfile="/dev/null" if old is None else f"a/{name}",
        tofile=f"b/{name}",
    )
    out: list[str] = []
    for line in lines:
        if line.endswith(("\n", "\r")):
            out.append(line)
        else:
            out.append(line + "\n\\ No newline at end of file\n")
    return "".join(out)
