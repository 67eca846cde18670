"""Drawn signatures for tests: what the signature pad posts (a PNG data URL), or the PNG itself."""

import base64
import io
import random

from PIL import Image, ImageDraw


def png_data_url(*, blank: bool = False, size=(600, 200), noise: bool = False) -> str:
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if noise:
        rng = random.Random(1)
        image = Image.frombytes("RGBA", size, bytes(rng.getrandbits(8) for _ in range(size[0] * size[1] * 4)))
    elif not blank:
        ImageDraw.Draw(image).line([(20, 150), (200, 40), (380, 160), (560, 50)], fill="black", width=4)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def signature_png() -> bytes:
    return base64.b64decode(png_data_url().split(",", 1)[1])


def draw_signature(page) -> None:
    """What a hand does on the signature pad: one zigzag stroke with the mouse."""
    pad = page.locator("canvas.signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 30, box["y"] + box["height"] * 0.7)
    page.mouse.down()
    for step in range(1, 25):
        page.mouse.move(
            box["x"] + 30 + step * 18, box["y"] + box["height"] * (0.7 - 0.4 * (step % 4 == 1)), steps=3
        )
    page.mouse.up()
