"""The report's pictures, drawn as inline SVG: a strip of key figures, bar charts (one bar
per row, or one bar split into parts) and a heatmap.

Each chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` that say in words what it
shows (a screen reader, a text browser and a search all get the numbers), and every bar,
cell and tile has its own ``<title>``. Colours are SVG attributes, never ``style``
attributes: the page's Content-Security-Policy allows the one stylesheet and nothing else.
Sizes come from a ``viewBox``; the stylesheet scales the picture to the page.

Pure: strings in, SVG text out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipvet.frozen import frozen
from pipvet.report.html_text import esc, short

__all__ = [
    "Bar",
    "Cell",
    "Tile",
    "bar_chart",
    "column_chart",
    "figures_strip",
    "heatmap",
    "scorecard",
    "split_bar",
]

INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#d9dee4"
_CHAR = 7.2  # average width of one character of the 12 px system font, for layout


@frozen
class Tile:
    label: str
    value: str
    color: str  # the accent line and the figure's colour
    note: str = ""


@frozen
class Bar:
    label: str
    value: int
    color: str
    note: str = ""  # shown after the value


@frozen
class Cell:
    color: str
    tip: str  # the cell's <title>
    mark: str = ""  # a short text drawn in the cell (e.g. "!")


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> str:
    return (
        f'<svg class="chart" id="{esc(chart_id)}" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{esc(chart_id)}-t {esc(chart_id)}-d" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{esc(chart_id)}-t">{esc(title)}</title>'
        f'<desc id="{esc(chart_id)}-d">{esc(desc)}</desc>'
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", cls: str = "") -> str:
    klass = f' class="{cls}"' if cls else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{klass}>{esc(text)}</text>'


def _rect(  # noqa: PLR0917 - a rectangle is x, y, width, height, as in SVG
    x: float, y: float, w: float, h: float, color: str, tip: str, rx: int = 2
) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" rx="{rx}" '
        f'fill="{esc(color)}"><title>{esc(tip)}</title></rect>'
    )


def figures_strip(chart_id: str, tiles: Sequence[Tile]) -> str:
    """A row of tiles, each a big figure with its label (and a note) under it."""
    width, tile_h, gap = 960, 92, 10
    count = max(1, len(tiles))
    tile_w = (width - gap * (count - 1)) / count
    desc = "; ".join(f"{t.label}: {t.value}" + (f" ({t.note})" if t.note else "") for t in tiles)
    out = [_open(chart_id, width, tile_h, "Key figures", desc)]
    for i, t in enumerate(tiles):
        x = i * (tile_w + gap)
        out.append(f"<g><title>{esc(t.label)}: {esc(t.value)} {esc(t.note)}</title>")
        out.append(
            f'<rect x="{x:.1f}" y="0" width="{tile_w:.1f}" height="{tile_h}" rx="6" '
            f'fill="#f5f7fa" stroke="{GRID}"/>'
        )
        out.append(f'<rect x="{x:.1f}" y="0" width="{tile_w:.1f}" height="5" rx="2" '
                   f'fill="{esc(t.color)}"/>')  # fmt: skip
        size = "big" if len(t.value) <= 7 else "big long"
        out.append(
            f'<text x="{x + 12:.1f}" y="44" class="{size}" fill="{esc(t.color)}">'
            f"{esc(t.value)}</text>"
        )
        limit = max(8, int((tile_w - 20) / _CHAR))
        out.append(_text(x + 12, 66, short(t.label, limit), cls="lbl"))
        if t.note:  # 11 px
            out.append(_text(x + 12, 82, short(t.note, int(limit * 1.15)), cls="note"))
        out.append("</g>")
    out.append("</svg>")
    return "".join(out)


def bar_chart(
    chart_id: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    *,
    label_chars: int = 28,
    width: int = 460,
) -> str:
    """One horizontal bar per row, label on the left, value (and note) after the bar."""
    row_h = 24
    label_w = min(label_chars, max((len(b.label) for b in bars), default=4)) * _CHAR + 20
    note_w = max((len(f"{b.value:,} {b.note}") for b in bars), default=4) * _CHAR + 16
    plot_w = max(120.0, width - label_w - note_w)
    top = max((b.value for b in bars), default=0) or 1
    height = row_h * max(1, len(bars)) + 8
    out = [_open(chart_id, width, height, title, desc)]
    for i, b in enumerate(bars):
        y = 4 + i * row_h
        out.append(_text(label_w - 8, y + 16, short(b.label, label_chars), anchor="end"))
        w = plot_w * b.value / top
        tip = f"{b.label}: {b.value:,}" + (f" {b.note}" if b.note else "")
        out.append(_rect(label_w, y + 3, max(w, 2 if b.value else 0), row_h - 8, b.color, tip))
        value = f"{b.value:,}" + (f" {b.note}" if b.note else "")
        out.append(_text(label_w + w + 6, y + 16, value, cls="val"))
    out.append("</svg>")
    return "".join(out)


def split_bar(
    chart_id: str, title: str, desc: str, parts: Sequence[Bar], *, width: int = 460
) -> str:
    """One bar split into parts in proportion, with a legend under it."""
    bar_h = 30
    total = sum(p.value for p in parts) or 1
    out = [_open(chart_id, width, bar_h + 34, title, desc)]
    x = 0.0
    for p in parts:
        w = width * p.value / total
        if p.value:
            out.append(_rect(x, 0, w, bar_h, p.color, f"{p.label}: {p.value:,}", rx=0))
            if w > 34:
                out.append(
                    f'<text x="{x + w / 2:.1f}" y="20" text-anchor="middle" class="inbar">'
                    f"{p.value:,}</text>"
                )
        x += w
    lx = 0.0
    for p in parts:
        out.append(f'<rect x="{lx:.1f}" y="{bar_h + 12}" width="12" height="12" rx="2" '
                   f'fill="{esc(p.color)}"/>')  # fmt: skip
        text = f"{p.label} ({p.value:,})"
        out.append(_text(lx + 17, bar_h + 22, text))
        lx += 17 + len(text) * _CHAR + 18
    out.append("</svg>")
    return "".join(out)


def column_chart(
    chart_id: str,
    title: str,
    desc: str,
    columns: Sequence[Bar],
    *,
    marker_after: int | None = None,
    marker_label: str = "",
) -> str:
    """Vertical columns with their labels under them; a dashed line after column
    ``marker_after`` (e.g. the end of the cooldown) labelled ``marker_label``."""
    width, plot_h, base = 460, 130, 22
    count = max(1, len(columns))
    slot = width / count
    top = max((c.value for c in columns), default=0) or 1
    height = plot_h + base + 30
    out = [_open(chart_id, width, height, title, desc)]
    out.append(f'<line x1="0" y1="{plot_h + 18}" x2="{width}" y2="{plot_h + 18}" '
               f'stroke="{GRID}"/>')  # fmt: skip
    for i, c in enumerate(columns):
        h = plot_h * c.value / top
        x = i * slot + slot * 0.18
        y = plot_h + 18 - h
        tip = f"{c.label}: {c.value:,}" + (f" {c.note}" if c.note else "")
        out.append(_rect(x, y, slot * 0.64, max(h, 1.5 if c.value else 0), c.color, tip))
        out.append(_text(i * slot + slot / 2, y - 5, f"{c.value:,}", anchor="middle", cls="val"))
        out.append(
            _text(i * slot + slot / 2, plot_h + 36, short(c.label, int(slot / _CHAR)),
                  anchor="middle")
        )  # fmt: skip
    if marker_after is not None and 0 <= marker_after < count:
        mx = (marker_after + 1) * slot
        out.append(
            f'<line x1="{mx:.1f}" y1="4" x2="{mx:.1f}" y2="{plot_h + 18}" stroke="{INK}" '
            'stroke-dasharray="4 3"/>'
        )
        out.append(_text(mx + 4, 14, marker_label, cls="note"))
    out.append("</svg>")
    return "".join(out)


def heatmap(  # noqa: PLR0917 - every chart takes its id, title and description first
    chart_id: str,
    title: str,
    desc: str,
    rows: Sequence[str],
    cols: Sequence[str],
    cells: Mapping[tuple[int, int], Cell],
    legend: Sequence[tuple[str, str]],
) -> str:
    """A grid of ``rows`` x ``cols``; a cell missing from ``cells`` is drawn empty."""
    cell, label_chars, col_chars = 26, 24, 22
    label_w = min(label_chars, max((len(r) for r in rows), default=4)) * _CHAR + 10
    head_h = min(col_chars, max((len(c) for c in cols), default=4)) * _CHAR * 0.72 + 14
    legend_w = sum(16 + len(label) * _CHAR * 0.9 + 14 for label, _ in legend)
    width = int(max(label_w + cell * len(cols) + 10, legend_w, 480))
    height = int(head_h + cell * len(rows) + 34)
    out = [_open(chart_id, width, height, title, desc)]
    for j, name in enumerate(cols):
        x = label_w + j * cell + cell / 2 + 4
        out.append(
            f'<text x="{x:.1f}" y="{head_h - 6:.1f}" transform="rotate(-45 {x:.1f} '
            f'{head_h - 6:.1f})" class="note">{esc(short(name, col_chars))}</text>'
        )
    for i, name in enumerate(rows):
        y = head_h + i * cell
        out.append(_text(label_w - 6, y + 15, short(name, label_chars), anchor="end"))
        for j in range(len(cols)):
            found = cells.get((i, j))
            x = label_w + j * cell
            if found is None:
                out.append(f'<rect x="{x}" y="{y:.1f}" width="{cell - 2}" height="{cell - 2}" '
                           f'fill="#f1f3f5"/>')  # fmt: skip
                continue
            out.append(_rect(x, y, cell - 2, cell - 2, found.color, found.tip, rx=1))
            if found.mark:
                out.append(
                    f'<text x="{x + (cell - 2) / 2:.1f}" y="{y + 15:.1f}" text-anchor="middle" '
                    f'class="inbar">{esc(found.mark)}</text>'
                )
    ly = head_h + cell * len(rows) + 14
    lx = 0.0
    for label, color in legend:
        out.append(f'<rect x="{lx:.1f}" y="{ly:.1f}" width="12" height="12" rx="2" '
                   f'fill="{esc(color)}"/>')  # fmt: skip
        out.append(_text(lx + 16, ly + 10, label, cls="note"))
        lx += 16 + len(label) * _CHAR * 0.9 + 14
    out.append("</svg>")
    return "".join(out)


def scorecard(chart_id: str, title: str, desc: str, rows: Sequence[Bar]) -> str:
    """One full-width bar per practice, coloured by its status, its name inside the bar and
    the status (``Bar.note``) at the right end."""
    width, row_h = 960, 26
    out = [_open(chart_id, width, row_h * max(1, len(rows)) + 4, title, desc)]
    for i, r in enumerate(rows):
        y = 2 + i * row_h
        out.append(_rect(0, y, width, row_h - 4, r.color, f"{r.label}: {r.note}", rx=4))
        out.append(_text(10, y + 16, short(r.label, 70), cls="inbar"))
        out.append(_text(width - 10, y + 16, r.note.upper(), anchor="end", cls="inbar"))
    out.append("</svg>")
    return "".join(out)


# The palette, shared by every section so a colour means one thing across the page.
SEVERITY_COLOR: Mapping[str, str] = {
    "malware": "#5f3dc4",
    "critical": "#a61e4d",
    "high": "#e03131",
    "medium": "#f08c00",
    "low": "#fcc419",
    "none": "#adb5bd",
    "unknown": "#868e96",
}
STATUS_COLOR: Mapping[str, str] = {"pass": "#2f9e44", "warn": "#f08c00", "fail": "#e03131"}
VERDICT_COLOR: Mapping[str, str] = {
    "ok": "#2f9e44",
    "review": "#f08c00",
    "avoid": "#e03131",
    "unchecked": "#862e9c",
    "internal": "#868e96",
}
HARM_COLOR: Mapping[str, str] = {
    "cloud-bill": "#e03131",
    "publishing": "#f08c00",
    "source-code": "#1971c2",
    "identity": "#7048e8",
}
GOOD, NEUTRAL, ACCENT = "#2f9e44", "#1971c2", "#495057"
