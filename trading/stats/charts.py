"""Server-rendered SVG charts (no JavaScript, no CDN). Drawn on a phone-sized canvas that scales up.

Values are Decimals; only pixel geometry uses float. Every chart carries <title> texts for each mark and
the page prints the same numbers in a table, so nothing depends on seeing the picture.
"""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

W, H = 320, 200
PAD_L, PAD_R, PAD_T, PAD_B = 6, 6, 20, 34
COLORS = ("#b91c1c", "#1d4ed8", "#15803d", "#b45309")


def _svg(body: str, height: int, label: str) -> Markup:
    # every interpolated text below went through escape(); numbers are formatted by us
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {W} {height}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
        f"<title>{escape(label)}</title>{body}</svg>")


def _text(x: float, y: float, s: str, size: int = 10, anchor: str = "middle", cls: str = "") -> str:
    c = f' class="{cls}"' if cls else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{c}>'
            f"{escape(s)}</text>")


def compact(v: Decimal | int) -> str:
    """A bar label that fits a phone: 7123万, 1.77亿 (the exact figure is in the tooltip and the table)."""
    v = Decimal(v)
    if abs(v) >= 100_000_000:
        return f"{(v / 100_000_000).quantize(Decimal('0.01'))}亿"
    if abs(v) >= 10_000:
        return f"{(v / 10_000).quantize(Decimal('1'))}万"
    return str(v.quantize(Decimal("1")))


def bars(items: list[tuple[str, Decimal | int]], label: str, fmt=str, color: str = COLORS[0],
         short=None) -> Markup:
    """Vertical bars, one per item (months); labels thin out when crowded, values show up to 6 bars."""
    n = max(len(items), 1)
    top = max((Decimal(v) for _, v in items), default=Decimal(0)) or Decimal(1)
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    step = plot_w / n
    bw = step * 0.62
    every = 1 if n <= 12 else (n + 11) // 12
    out = [f'<line x1="{PAD_L}" y1="{PAD_T + plot_h}" x2="{W - PAD_R}" y2="{PAD_T + plot_h}" class="axis"/>']
    for i, (name, v) in enumerate(items):
        h = float(Decimal(v) / top) * plot_h
        x = PAD_L + i * step + (step - bw) / 2
        y = PAD_T + plot_h - h
        out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bw:.1f}" height="{max(h, 0.5):.1f}" rx="2" '
                   f'fill="{color}"><title>{escape(name)}：{escape(fmt(v))}</title></rect>')
        if n <= 6 and v:
            out.append(_text(x + bw / 2, y - 5, short(v) if short else fmt(v), 11, cls="val"))
        if i % every == 0:
            out.append(_text(x + bw / 2, PAD_T + plot_h + 16, name, 12))
    return _svg("".join(out), H, label)


def lines(months: list[str], series: list[tuple[str, list[Decimal | None]]], label: str) -> Markup:
    """Rates over time (fractions); a None breaks the line. The legend sits under the plot."""
    n = max(len(months), 1)
    vals = [v for _, s in series for v in s if v is not None]
    top = max(vals + [Decimal("0.01")])
    low = min(vals + [Decimal(0)])
    span = (top - low) or Decimal(1)
    plot_w, plot_h = W - PAD_L - PAD_R - 52, H - PAD_T - PAD_B - 14
    x0 = PAD_L + 42
    step = plot_w / max(n - 1, 1)
    out = []
    for frac in (0, 0.5, 1):
        y = PAD_T + plot_h * (1 - frac)
        tick = low + span * Decimal(str(frac))
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + plot_w}" y2="{y:.1f}" class="grid"/>')
        out.append(_text(x0 - 4, y + 4, f"{(tick * 100).quantize(Decimal('0.1'))}%", 11, "end"))
    every = 1 if n <= 12 else (n + 11) // 12
    for i, m in enumerate(months):
        if i % every == 0:
            out.append(_text(x0 + i * step, PAD_T + plot_h + 16, m, 12))
    for k, (name, s) in enumerate(series):
        color = COLORS[k % len(COLORS)]
        pts: list[list[tuple[float, float, Decimal, str]]] = []
        path: list[tuple[float, float, Decimal, str]] = []
        for i, v in enumerate(s):
            if v is None:
                if path:  # a lone point still shows as a dot
                    pts.append(path)
                path = []
                continue
            y = PAD_T + plot_h * (1 - float((v - low) / span))
            path.append((x0 + i * step, y, v, months[i]))
        if path:
            pts.append(path)
        for p in pts:
            if len(p) > 1:
                d = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in p)
                out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"/>')
            for x, y, v, m in p:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}">'
                           f"<title>{escape(name)} {escape(m)}：{(v * 100).quantize(Decimal('0.01'))}%</title>"
                           f"</circle>")
        lx = PAD_L + 40 + k * 110
        out.append(f'<rect x="{lx}" y="{H - 13}" width="11" height="11" fill="{color}"/>')
        out.append(_text(lx + 15, H - 3, name, 12, "start"))
    return _svg("".join(out), H, label)


def hbars(items: list[tuple[str, Decimal | int]], label: str, fmt=str, color: str = COLORS[1]) -> Markup:
    """Horizontal bars with the label on the left and the value at the end: readable on a phone."""
    row = 28
    height = max(len(items), 1) * row + 8
    top = max((Decimal(v) for _, v in items), default=Decimal(0)) or Decimal(1)
    lx, maxw = 92, W - 92 - 70
    out = []
    for i, (name, v) in enumerate(items):
        y = 4 + i * row
        w = float(Decimal(v) / top) * maxw
        short = name if len(name) <= 7 else name[:6] + "…"
        out.append(_text(lx - 6, y + 18, short, 12, "end"))
        out.append(f'<rect x="{lx}" y="{y + 5}" width="{max(w, 1):.1f}" height="18" rx="2" fill="{color}">'
                   f"<title>{escape(name)}：{escape(fmt(v))}</title></rect>")
        out.append(_text(lx + w + 4, y + 18, compact(v) if isinstance(v, Decimal) else fmt(v), 11, "start", "val"))
    return _svg("".join(out), height, label)
