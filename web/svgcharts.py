"""Server-rendered SVG charts for dashboard widgets: no chart library to fetch or pin."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

W, H, PAD = 360, 180, 28


def _empty(title: str, message: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">'
            f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle" font-size="12" fill="#666">{escape(message)}</text>'
            "</svg>")


def bars(title: str, data: Sequence[tuple[str, float]], empty: str = "no data") -> str:
    if not data or max(v for _, v in data) <= 0:
        return _empty(title, empty)
    top = max(v for _, v in data)
    slot = (W - 2 * PAD) / len(data)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">']
    for i, (label, v) in enumerate(data):
        h = (H - 2 * PAD) * v / top
        x = PAD + i * slot + slot * 0.1
        y = H - PAD - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}" fill="#2f6fb3">'
                     f"<title>{escape(label)}: {v:g}</title></rect>")
        parts.append(f'<text x="{x + slot * 0.4:.1f}" y="{H - PAD + 12}" text-anchor="middle" font-size="9">'
                     f"{escape(label[:10])}</text>")
        parts.append(f'<text x="{x + slot * 0.4:.1f}" y="{y - 2:.1f}" text-anchor="middle" font-size="9">'
                     f"{v:g}</text>")
    parts.append("</svg>")
    return "".join(parts)


def line(title: str, data: Sequence[tuple[str, float]], unit: str = "", empty: str = "no data") -> str:
    if not data:
        return _empty(title, empty)
    top = max(max(v for _, v in data), 1e-9)
    step = (W - 2 * PAD) / max(len(data) - 1, 1)
    points = [(PAD + i * step, H - PAD - (H - 2 * PAD) * v / top) for i, (_, v) in enumerate(data)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(title)}">',
             f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" stroke="#999"/>',
             f'<polyline points="{path}" fill="none" stroke="#b3412f" stroke-width="2"/>',
             f'<text x="{PAD}" y="{PAD - 8}" font-size="10">max {top:.1f}{escape(unit)}</text>']
    for i, (label, _) in enumerate(data):
        if i % 4 == 0:
            parts.append(f'<text x="{points[i][0]:.1f}" y="{H - PAD + 12}" text-anchor="middle" font-size="9">'
                         f"{escape(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)
