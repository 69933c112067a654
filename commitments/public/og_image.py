"""The Open Graph picture of a pledge: a 1200×630 PNG of its status, company and title.

Social networks show it beside a shared link, so the verdict reads at a glance in a
feed. It is drawn on the server with Pillow (text in the font Pillow ships, so the
image needs no system fonts), and each status has its own shape as well as colour,
as on the site. Drawing takes tens of milliseconds, so a picture is kept in the cache
under what it shows (``picture_key``): an edit elsewhere on the site does not make
every pledge's picture be drawn again.
"""

import hashlib
import io

from PIL import Image, ImageDraw, ImageFont

from commitments.models.pledges import STATUS_LABELS

WIDTH, HEIGHT = 1200, 630
MARGIN = 72
# Bump to redraw every cached picture after a change to the drawing.
DRAWING_VERSION = 1

# Status → (text colour, light background): the site's badge colours (site.css).
COLOURS = {
    "not_yet_rated": ("#45454f", "#f0f0f3"),
    "in_progress": ("#0b4fa8", "#e6efff"),
    "stalled": ("#7a4900", "#fff3dc"),
    "kept": ("#0d6b2f", "#e3f6e9"),
    "partially_kept": ("#545400", "#f7f7d9"),
    "broken": ("#a11a1a", "#fde8e8"),
}
INK = "#1d1d1f"
MUTED = "#55555f"


def picture_key(pledge):
    """A cache key naming everything the picture shows."""
    shown = "\x1f".join(
        [str(DRAWING_VERSION), pledge.status, pledge.company.name, pledge.title]
    ).encode()
    return f"tracker:og:{pledge.pk}:{hashlib.blake2b(shown, digest_size=12).hexdigest()}"


def _font(size):
    return ImageFont.load_default(size=size)


def _wrap(text, font, width, max_lines):
    """Lines of ``text`` no wider than ``width``; the last one ends in … if cut short."""
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while font.getlength(line) > width:  # a word wider than the line: cut it
            cut = len(line)
            while cut > 1 and font.getlength(line[:cut]) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        words = lines[-1].split()
        while len(words) > 1 and font.getlength(" ".join(words) + " …") > width:
            words.pop()
        lines[-1] = " ".join(words) + " …"
    return lines


def _glyph(draw, status, box, colour):
    """The status's shape, as on the site's badges: the shape says it without colour."""
    x0, y0, x1, y1 = box
    w = max(4, (x1 - x0) // 8)
    cy = (y0 + y1) / 2
    if status == "kept":
        draw.line([(x0, cy), (x0 + (x1 - x0) * 0.4, y1), (x1, y0)], fill=colour, width=w)
    elif status == "broken":
        draw.line([(x0, y0), (x1, y1)], fill=colour, width=w)
        draw.line([(x0, y1), (x1, y0)], fill=colour, width=w)
    elif status == "partially_kept":
        draw.ellipse(box, outline=colour, width=w)
        draw.pieslice(box, 90, 270, fill=colour)
    elif status == "stalled":
        third = (x1 - x0) / 3
        draw.rectangle([x0, y0, x0 + third, y1], fill=colour)
        draw.rectangle([x1 - third, y0, x1, y1], fill=colour)
    elif status == "in_progress":
        draw.polygon([(x0, y0), (x1, cy), (x0, y1)], fill=colour)
    else:
        draw.ellipse(box, outline=colour, width=w)


def draw(pledge):
    """The PNG bytes of ``pledge``'s picture (``pledge.company`` loaded)."""
    ink, light = COLOURS.get(pledge.status, (INK, "#f0f0f3"))
    image = Image.new("RGB", (WIDTH, HEIGHT), "#ffffff")
    canvas = ImageDraw.Draw(image)
    canvas.rectangle([0, 0, WIDTH, 24], fill=ink)

    # The verdict, large, in a badge with its shape.
    label = STATUS_LABELS.get(pledge.status, pledge.status)
    status_font = _font(56)
    glyph = 48
    badge_w = MARGIN // 2 + glyph + 24 + int(status_font.getlength(label)) + MARGIN // 2
    top = 72
    canvas.rounded_rectangle(
        [MARGIN, top, MARGIN + badge_w, top + 96], radius=48, fill=light, outline=ink, width=4
    )
    gx = MARGIN + MARGIN // 2
    _glyph(canvas, pledge.status, (gx, top + 24, gx + glyph, top + 24 + glyph), ink)
    canvas.text((gx + glyph + 24, top + 48), label, font=status_font, fill=ink, anchor="lm")

    # Who promised, then what.
    company_font = _font(44)
    canvas.text((MARGIN, 220), pledge.company.name[:60], font=company_font, fill=MUTED)
    title_font = _font(60)
    y = 290
    for line in _wrap(pledge.title, title_font, WIDTH - 2 * MARGIN, max_lines=3):
        canvas.text((MARGIN, y), line, font=title_font, fill=INK)
        y += 74

    canvas.text(
        (MARGIN, HEIGHT - MARGIN), "Commitment Tracker", font=_font(36), fill=MUTED, anchor="ls"
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
