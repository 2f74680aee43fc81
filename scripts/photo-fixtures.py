#!/usr/bin/env python3
"""Makes the photo fixtures of the API tests (crates/web/tests/api/fixtures/photos/), with
the standard library only, no network. Run once; the outputs are committed.

`base.jpg` is a 160 x 80 JPEG made with the `image` crate (quality 90): its four quarters are
red (top left), green (top right), blue (bottom left) and white (bottom right), so a test
can tell how a copy was turned by the colour of one corner:

    let img = image::RgbImage::from_fn(160, 80, |x, y| match (x < 80, y < 40) {
        (true, true) => Rgb([255, 0, 0]), (false, true) => Rgb([0, 255, 0]),
        (true, false) => Rgb([0, 0, 255]), (false, false) => Rgb([255, 255, 255]),
    });
    JpegEncoder::new_with_quality(&mut out, 90).encode_image(&img)?;

This script writes, from it:
- `orient-6-gps.jpg`, `orient-3-gps.jpg`, `orient-8-gps.jpg`: the same pixels with an EXIF
  APP1 segment (after the JFIF APP0) holding Orientation 6 (turn 90 degrees clockwise to show),
  3 (180 degrees) or 8 (90 degrees anticlockwise), and a GPS IFD with a latitude and
  longitude, as a phone writes them;
- `bomb.png`: a PNG whose header declares 10000 x 8000 pixels (80 megapixels, over the
  50 megapixel limit) in a file of a few hundred bytes;
- `huge-side.png`: a PNG declaring 60000 x 10 pixels (a side over 20000).
"""

import os
import struct
import sys
import zlib

HERE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "crates", "web", "tests", "api", "fixtures", "photos"
)


def exif(orientation: int) -> bytes:
    """A little-endian TIFF block: IFD0 with Orientation and a GPSInfo pointer, then the GPS IFD."""
    entry = lambda tag, typ, count, value: struct.pack("<HHI", tag, typ, count) + value
    gps_ifd_at = 8 + 2 + 2 * 12 + 4
    ifd0 = struct.pack("<H", 2)
    ifd0 += entry(0x0112, 3, 1, struct.pack("<HH", orientation, 0))
    ifd0 += entry(0x8825, 4, 1, struct.pack("<I", gps_ifd_at))
    ifd0 += struct.pack("<I", 0)
    n = 5
    data_at = gps_ifd_at + 2 + n * 12 + 4
    lat = struct.pack("<6I", 41, 1, 0, 1, 5, 1)  # 41 deg 0' 5" N
    lon = struct.pack("<6I", 28, 1, 58, 1, 44, 1)  # 28 deg 58' 44" E
    gps = struct.pack("<H", n)
    gps += entry(0x0000, 1, 4, bytes([2, 3, 0, 0]))
    gps += entry(0x0001, 2, 2, b"N\0\0\0")
    gps += entry(0x0002, 5, 3, struct.pack("<I", data_at))
    gps += entry(0x0003, 2, 2, b"E\0\0\0")
    gps += entry(0x0004, 5, 3, struct.pack("<I", data_at + len(lat)))
    gps += struct.pack("<I", 0)
    tiff = b"II*\0" + struct.pack("<I", 8) + ifd0 + gps + lat + lon
    assert len(b"II*\0") + 4 + len(ifd0) == gps_ifd_at
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def with_exif(jpeg: bytes, orientation: int) -> bytes:
    assert jpeg[:4] == b"\xff\xd8\xff\xe0", "expected SOI then a JFIF APP0"
    app0_end = 4 + struct.unpack(">H", jpeg[4:6])[0]
    return jpeg[:app0_end] + exif(orientation) + jpeg[app0_end:]


def png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    # Only the first rows: the header alone must be enough to refuse it.
    rows = zlib.compress(b"\0" * (1 + 3 * min(width, 64)) * 4)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else HERE
    with open(os.path.join(out, "base.jpg"), "rb") as f:
        base = f.read()
    for o in (6, 3, 8):
        with open(os.path.join(out, f"orient-{o}-gps.jpg"), "wb") as f:
            f.write(with_exif(base, o))
    with open(os.path.join(out, "bomb.png"), "wb") as f:
        f.write(png_declaring(10000, 8000))
    with open(os.path.join(out, "huge-side.png"), "wb") as f:
        f.write(png_declaring(60000, 10))


if __name__ == "__main__":
    main()
