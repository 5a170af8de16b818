"""Regenerates the decoder/resampler reference images with Pillow (run: python make_images.py; Pillow 12.3.0, numpy).

Every input image gets an `<name>.expected.png`: what `ImageOps.exif_transpose(Image.open(f)).convert("RGB")`
returns, saved losslessly. `resize_*` files hold Pillow's `Image.resize` output for the named size and filter.
"""
import struct
import zlib

import numpy as np
from PIL import Image, ImageOps

rng = np.random.default_rng(20261123)


def expected(name):
    with Image.open(name) as im:
        ImageOps.exif_transpose(im).convert("RGB").save(name.rsplit(".", 1)[0] + ".expected.png")


def raw_png(name, width, height, bit_depth, colour_type, rows):
    """A PNG written by hand, for sample layouts Pillow cannot save (16-bit colour, 2/4-bit grey, 16-bit grey+alpha)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    with open(name, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# RGBA whose fully transparent pixels still carry colour: convert("RGB") keeps that colour.
rgba = rng.integers(0, 256, (9, 11, 4), dtype=np.uint8)
rgba[:, :5, 3] = 0
Image.fromarray(rgba, "RGBA").save("rgba_transparent.png")

# Grey + alpha, palette with a transparent index, 1-bit.
Image.fromarray(rng.integers(0, 256, (6, 7, 2), dtype=np.uint8), "LA").save("la.png")
pal = Image.fromarray(rng.integers(0, 16, (8, 10), dtype=np.uint8), "P")
pal.putpalette(list(rng.integers(0, 256, 16 * 3, dtype=np.uint8)))
pal.info["transparency"] = 3
pal.save("palette.png", transparency=3)
pal.save("palette.gif", transparency=3)
Image.fromarray(rng.integers(0, 2, (5, 13), dtype=np.uint8) * 255, "L").convert("1").save("bilevel.png")

# 16-bit grey ("I;16": values above 255 clip), 16-bit RGB and grey+alpha (high byte), 4- and 2-bit grey (scaled).
grey16 = rng.integers(0, 65536, (4, 6), dtype=np.uint16)
grey16[0, :4] = [0, 200, 255, 256]
Image.fromarray(grey16).save("grey16.png")
rgb16 = rng.integers(0, 65536, (5, 4, 3), dtype=np.uint16)
raw_png("rgb16.png", 4, 5, 16, 2, [r.astype(">u2").tobytes() for r in rgb16])
la16 = rng.integers(0, 65536, (3, 5, 2), dtype=np.uint16)
raw_png("la16.png", 5, 3, 16, 4, [r.astype(">u2").tobytes() for r in la16])
grey4 = rng.integers(0, 16, (3, 8), dtype=np.uint8)
raw_png("grey4.png", 8, 3, 4, 0, [bytes((r[i] << 4) | r[i + 1] for i in range(0, 8, 2)) for r in grey4])

# BMP, 24-bit.
Image.fromarray(rng.integers(0, 256, (7, 5, 3), dtype=np.uint8), "RGB").save("rgb.bmp")

# JPEGs: colour with every EXIF orientation, grey, and CMYK.
base = np.zeros((24, 40, 3), dtype=np.uint8)
base[..., 0] = np.linspace(0, 255, 40, dtype=np.uint8)[None, :]
base[..., 1] = np.linspace(0, 255, 24, dtype=np.uint8)[:, None]
base[:8, :8, 2] = 255
for orientation in range(1, 9):
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.fromarray(base, "RGB").save(f"orientation{orientation}.jpg", quality=92, exif=exif.tobytes())
Image.fromarray(base[..., 0], "L").save("grey.jpg", quality=90)
# Odd-sized noisy photo-like image: chroma upsampling at the edges, progressive scans, every subsampling mode.
photo = np.clip(base.repeat(2, 0).repeat(2, 1)[:37, :53].astype(int) + rng.integers(-40, 40, (37, 53, 3)), 0, 255)
photo = Image.fromarray(photo.astype(np.uint8), "RGB")
photo.save("progressive.jpg", quality=85, progressive=True)
for subsampling, label in [(0, "444"), (1, "422"), (2, "420")]:
    photo.save(f"subsampling{label}.jpg", quality=75, subsampling=subsampling)
Image.fromarray(base, "RGB").convert("CMYK").save("cmyk.jpg", quality=90)  # Adobe CMYK, as print workflows produce

for name in ["rgba_transparent.png", "la.png", "palette.png", "palette.gif", "bilevel.png", "grey16.png", "rgb16.png",
             "la16.png", "grey4.png", "rgb.bmp", "grey.jpg", "cmyk.jpg", "progressive.jpg", "subsampling444.jpg",
             "subsampling422.jpg", "subsampling420.jpg"] + [f"orientation{o}.jpg" for o in range(1, 9)]:
    expected(name)

# Resampler references: noise (worst case for rounding) resized up, down and to extreme aspect ratios.
noise = Image.fromarray(rng.integers(0, 256, (61, 97, 3), dtype=np.uint8), "RGB")
noise.save("noise97x61.png")
for (w, h), resample, label in [((42, 26), Image.BICUBIC, "bicubic"), ((84, 52), Image.BICUBIC, "bicubic"),
                                ((300, 7), Image.BICUBIC, "bicubic"), ((97, 190), Image.BICUBIC, "bicubic"),
                                ((33, 61), Image.BICUBIC, "bicubic"), ((42, 26), Image.BILINEAR, "bilinear"),
                                ((42, 26), Image.LANCZOS, "lanczos"), ((130, 40), Image.BOX, "box"),
                                ((50, 50), Image.HAMMING, "hamming")]:
    noise.resize((w, h), resample).save(f"resize_{label}_{w}x{h}.png")
