"""Pictures of terminal editors: a tmux pane (with colours) rendered to PNG by Chromium."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_BASIC = [
    "#1e1e1e",
    "#f14c4c",
    "#23d18b",
    "#f5f543",
    "#3b8eea",
    "#d670d6",
    "#29b8db",
    "#e5e5e5",
]
_BRIGHT = [
    "#666666",
    "#f14c4c",
    "#23d18b",
    "#f5f543",
    "#3b8eea",
    "#d670d6",
    "#29b8db",
    "#ffffff",
]


def _xterm256(n: int) -> str:
    if n < 8:
        return _BASIC[n]
    if n < 16:
        return _BRIGHT[n - 8]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return f"#{steps[n // 36]:02x}{steps[(n // 6) % 6]:02x}{steps[n % 6]:02x}"
    v = 8 + (n - 232) * 10
    return f"#{v:02x}{v:02x}{v:02x}"


def ansi_to_html(text: str, title: str) -> str:
    """HTML for `tmux capture-pane -e` output: SGR colours, bold, reverse video."""
    fg: str | None = None
    bg: str | None = None
    bold = rev = False
    out: list[str] = []
    pos = 0

    def span(chunk: str) -> None:
        if not chunk:
            return
        f, b = (bg or "#1e1e1e", fg or "#d4d4d4") if rev else (fg, bg)
        style = []
        if f:
            style.append(f"color:{f}")
        if b:
            style.append(f"background:{b}")
        if bold:
            style.append("font-weight:bold")
        out.append(f'<span style="{";".join(style)}">{html.escape(chunk)}</span>')

    for m in _SGR.finditer(text):
        span(text[pos : m.start()])
        pos = m.end()
        codes = [
            int(c) if c.isdigit() else 0 for c in re.split("[;:]", m.group(1) or "0")
        ]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                fg = bg = None
                bold = rev = False
            elif c == 1:
                bold = True
            elif c == 22:
                bold = False
            elif c == 7:
                rev = True
            elif c == 27:
                rev = False
            elif 30 <= c <= 37:
                fg = _BASIC[c - 30]
            elif 90 <= c <= 97:
                fg = _BRIGHT[c - 90]
            elif 40 <= c <= 47:
                bg = _BASIC[c - 40]
            elif 100 <= c <= 107:
                bg = _BRIGHT[c - 100]
            elif c == 39:
                fg = None
            elif c == 49:
                bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    col = _xterm256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    col = "#{:02x}{:02x}{:02x}".format(*codes[i + 2 : i + 5])
                    i += 4
                else:
                    col = None
                if c == 38:
                    fg = col
                else:
                    bg = col
            i += 1
    span(text[pos:])
    body = "".join(out)
    return (
        "<!doctype html><meta charset=utf-8><title>"
        + html.escape(title)
        + "</title><body style='margin:0;background:#1e1e1e'>"
        + "<div style='font:13px/1.25 DejaVu Sans Mono,monospace;color:#d4d4d4;"
        + "background:#1e1e1e;padding:6px 8px;white-space:pre'>"
        + f"<div style='color:#9cdcfe;margin-bottom:4px'>{html.escape(title)}</div>"
        + body
        + "</div></body>"
    )


def html_to_png(page: Path, png: Path, width: int, height: int) -> None:
    """Screenshot of a local HTML file with Debian's headless Chromium."""
    subprocess.run(
        [
            "/usr/bin/chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={width},{height}",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=60,
        check=True,
    )
