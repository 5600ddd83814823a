"""Draw the field app's icons (static/berth/icons/*.png): a white bed on Berth's blue.

Pillow is needed only here, not by Berth:
    pip install --target /tmp/pil Pillow && PYTHONPATH=/tmp/pil python scripts/make_icons.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "berth" / "icons"
BLUE = (23, 50, 77, 255)
WHITE = (255, 255, 255, 255)
YELLOW = (245, 180, 0, 255)
SCALE = 4  # drawn 4 times larger, then shrunk: smooth edges


def bed(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float]) -> None:
    """A bed seen from the side, filling `box` (left, top, right, bottom)."""
    left, top, right, bottom = box
    w, h = right - left, bottom - top

    def r(x0, y0, x1, y1, fill, radius=0.04):
        draw.rounded_rectangle(
            (left + x0 * w, top + y0 * h, left + x1 * w, top + y1 * h),
            radius=radius * w,
            fill=fill,
        )

    r(0.00, 0.05, 0.12, 1.00, WHITE)  # headboard and its leg
    r(0.00, 0.55, 1.00, 0.78, WHITE)  # the frame
    r(0.88, 0.55, 1.00, 1.00, WHITE)  # the foot leg
    r(0.16, 0.30, 0.40, 0.52, WHITE, 0.06)  # the pillow
    r(0.44, 0.25, 1.00, 0.52, YELLOW, 0.06)  # the blanket


def icon(size: int, *, maskable: bool = False) -> Image.Image:
    big = size * SCALE
    image = Image.new("RGBA", (big, big), BLUE if maskable else (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    if not maskable:
        draw.rounded_rectangle((0, 0, big - 1, big - 1), radius=big * 0.18, fill=BLUE)
    # A maskable icon keeps its drawing inside the middle 80% (the safe zone).
    margin = 0.27 if maskable else 0.17
    bed(draw, (big * margin, big * (margin + 0.08), big * (1 - margin), big * (1 - margin - 0.08)))
    return image.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (32, 180, 192, 512):
        image = icon(size)
        if size == 180:  # iOS puts its own rounded corners on an opaque square
            image = icon(size, maskable=True)
        image.save(OUT / f"icon-{size}.png", optimize=True)
    icon(512, maskable=True).save(OUT / "maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
