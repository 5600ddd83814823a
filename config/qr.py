"""QR codes of links (an invitation, a host's invitation, a party's slip), drawn on the
server as inline SVG with segno: no script, nothing from a CDN."""

import segno


def qr_svg(url: str, title: str) -> str:
    """The QR code of `url` as inline SVG, titled for screen readers (no style attribute:
    the CSP allows none)."""
    return segno.make(url, error="m").svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
        dark="#000",
        light="#fff",
        title=title,
    )
