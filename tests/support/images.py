"""Small but real ID-card-like images for upload tests, made with Pillow."""
import io

from PIL import Image, ImageDraw


def make_id_image(fmt: str = "PNG", size=(428, 270), color=(220, 230, 240)) -> bytes:
    """Encoded bytes of a card-sized picture in `fmt` (PNG, JPEG, GIF, ...)."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    draw.rectangle((10, 10, size[0] - 10, size[1] - 10), outline=(40, 60, 120), width=3)
    draw.text((30, 30), "ID 310101199001011234", fill=(0, 0, 0))
    if fmt.upper() == "GIF":
        image = image.convert("P")
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def upload(data: bytes, filename: str = "id.png"):
    """A (stream, filename) pair as the Flask test client takes for a file field."""
    return io.BytesIO(data), filename
