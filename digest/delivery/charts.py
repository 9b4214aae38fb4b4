"""Small inline SVG charts for `digest report`: no script, no library, nothing fetched.

Each chart is an `<svg role="img">` named by its `<title>`; the report puts the same
figures in a table beside it, which is what a screen reader reads.
"""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 640, 240, 48, 32, 16, 16
INK, ACCENT, GRID = "#0b0c0c", "#1d70b8", "#b1b4b6"


def _svg(id: str, title: str, body: str, height: int = HEIGHT) -> Markup:
    return Markup(
        f'<svg id="{escape(id)}" role="img" aria-labelledby="{escape(id)}-title" viewBox="0 0 {WIDTH} {height}"'
        f' width="100%" xmlns="http://www.w3.org/2000/svg"><title id="{escape(id)}-title">{escape(title)}</title>'
        f"{body}</svg>"
    )


def line(id: str, title: str, points: list[tuple[str, int]]) -> Markup:
    """A step line of a running total against days (labels: the first and last day)."""
    if not points:
        return _svg(id, title, f'<text x="{LEFT}" y="{HEIGHT // 2}" fill="{INK}">No readers yet</text>')
    top = max(n for _, n in points) or 1
    inner_w, inner_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = inner_w / max(len(points) - 1, 1)

    def y(n: int) -> float:
        return TOP + inner_h - inner_h * n / top

    coords = [(LEFT + i * step, y(n)) for i, (_, n) in enumerate(points)]
    path = " ".join(f"{x:.1f},{yy:.1f}" for x, yy in coords)
    body = [
        f'<line x1="{LEFT}" y1="{TOP + inner_h}" x2="{WIDTH - RIGHT}" y2="{TOP + inner_h}" stroke="{GRID}"/>',
        f'<text x="{LEFT - 6}" y="{y(top) + 4:.1f}" text-anchor="end" fill="{INK}" font-size="12">{top:,}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + inner_h + 4}" text-anchor="end" fill="{INK}" font-size="12">0</text>',
        f'<polyline points="{path}" fill="none" stroke="{ACCENT}" stroke-width="3"/>',
        *(f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="4" fill="{ACCENT}"/>' for x, yy in coords),
        f'<text x="{LEFT}" y="{HEIGHT - 8}" fill="{INK}" font-size="12">{escape(points[0][0])}</text>',
    ]
    if len(points) > 1:
        body.append(
            f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end" fill="{INK}" font-size="12">'
            f"{escape(points[-1][0])}</text>"
        )
    return _svg(id, title, "".join(body))


def bars(id: str, title: str, values: list[tuple[str, int]]) -> Markup:
    """Horizontal bars, one a row, labelled with the name and the number."""
    if not values:
        return _svg(id, title, f'<text x="{LEFT}" y="{HEIGHT // 2}" fill="{INK}">No readers yet</text>')
    row, label_w = 24, 160
    height = TOP + row * len(values) + 8
    top = max(n for _, n in values) or 1
    inner_w = WIDTH - label_w - RIGHT - 48
    body = []
    for i, (name, n) in enumerate(values):
        y = TOP + i * row
        w = inner_w * n / top
        body += [
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" fill="{INK}" font-size="13">{escape(name)}</text>',
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{ACCENT}"/>',
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" fill="{INK}" font-size="13">{n:,}</text>',
        ]
    return _svg(id, title, "".join(body), height)
