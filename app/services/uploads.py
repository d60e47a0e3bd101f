"""ID-card image intake: decoded with Pillow before anything is kept, stored outside the
web root under random names with owner-only permissions.

The file name and the declared content type come from the client and prove nothing,
so the format is taken from the bytes themselves.
"""
import io
import os
import secrets
import warnings

from PIL import Image

from app.services.errors import RuleViolation
from app.services.i18n import N_

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
FORMATS = {"JPEG": "jpg", "PNG": "png"}
MIN_WIDTH, MIN_HEIGHT = 200, 120  # smaller cannot show an ID card legibly
MAX_SIDE = 8000
SUBFOLDER = "registrations"

MISSING = N_("请上传身份证图片")
WRONG_FORMAT = N_("请上传JPG或PNG格式的图片")
TOO_LARGE = N_("图片大小不能超过5MB")
UNREADABLE = N_("图片无法识别，请重新拍摄上传")
TOO_SMALL = N_("图片尺寸过小，请拍摄清晰完整的身份证")
TOO_BIG_SIDE = N_("图片尺寸过大，请压缩后重新上传")


def read_limited(stream, max_bytes: int, field: str) -> bytes:
    """At most max_bytes from the upload; one byte more means it is too large."""
    data = stream.read(max_bytes + 1)
    if not data:
        raise RuleViolation(MISSING, field=field)
    if len(data) > max_bytes:
        raise RuleViolation(TOO_LARGE, field=field)
    return data


def image_format(data: bytes, field: str) -> str:
    """'JPEG' or 'PNG' when the bytes decode as such an image of a sane size."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()  # structure and checksums, without decoding pixels
            with Image.open(io.BytesIO(data)) as image:
                fmt, (width, height) = image.format, image.size
                if fmt == "JPEG" and max(width, height) <= MAX_SIDE:
                    # verify() checks a PNG's every chunk CRC but leaves truncated JPEG
                    # data undetected; decoding at 1/8 scale (draft) finds it cheaply.
                    image.draft(image.mode, (max(width // 8, 1), max(height // 8, 1)))
                    image.load()
    except Exception:  # Pillow raises many types for hostile bytes; each means "not an image"
        raise RuleViolation(UNREADABLE, field=field) from None
    if fmt not in FORMATS:
        raise RuleViolation(WRONG_FORMAT, field=field)
    if max(width, height) > MAX_SIDE:
        raise RuleViolation(TOO_BIG_SIDE, field=field)
    if max(width, height) < MIN_WIDTH or min(width, height) < MIN_HEIGHT:
        raise RuleViolation(TOO_SMALL, field=field)
    return fmt


def store_id_image(upload_folder: str, stream, field: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """Checks and stores one image; returns its path relative to upload_folder."""
    data = read_limited(stream, max_bytes, field)
    fmt = image_format(data, field)
    folder = os.path.join(upload_folder, SUBFOLDER)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    relative = f"{SUBFOLDER}/{secrets.token_hex(16)}.{FORMATS[fmt]}"
    # O_EXCL: never overwrite; 0600 from creation, so no moment of wider access.
    fd = os.open(os.path.join(upload_folder, relative), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return relative


def resolve(upload_folder: str, relative: str) -> str:
    """Absolute path of a stored image; refuses anything that escapes the folder."""
    root = os.path.realpath(os.path.join(upload_folder, SUBFOLDER))
    path = os.path.realpath(os.path.join(upload_folder, relative))
    if os.path.commonpath([root, path]) != root:
        raise ValueError("stored path outside the upload folder")
    return path


def is_readable(upload_folder: str, relative: str) -> bool:
    """Whether a stored image still opens as a JPEG or PNG (the batch re-checks)."""
    try:
        with open(resolve(upload_folder, relative), "rb") as f:
            image_format(f.read(), "image")
    except (OSError, ValueError, RuleViolation):
        return False
    return True


def delete_stored(upload_folder: str, relative: str | None) -> None:
    """Removes a stored image, e.g. when the transaction that referenced it failed."""
    if not relative:
        return
    try:
        os.remove(resolve(upload_folder, relative))
    except (OSError, ValueError):
        pass
