//! Photos: the copies the server makes of a JPEG or PNG attachment. The original stays as it
//! was uploaded (evidence, with its EXIF and GPS data, for the team); the display copy and
//! the thumbnail are decoded, turned upright by the EXIF orientation, scaled down and encoded
//! again as JPEG with nothing but pixels, so no metadata (GPS position, camera serial, XMP,
//! ICC profile) reaches a client. Decoding is bounded: an image declaring more than
//! [`MAX_PIXELS`] is refused before any pixel memory is allocated (a "decompression bomb"
//! is a small file that would otherwise need gigabytes).

use std::io::{BufReader, Cursor};
use std::path::Path;

use formula_domain::attachment::{DISPLAY_MAX, THUMB_MAX, fit};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits};

/// The most pixels an uploaded photo may have: 50 megapixels covers every phone and most
/// cameras (a 48 MP phone photo is 8064 × 6048) and keeps one decode under ~200 MB.
pub const MAX_PIXELS: u64 = 50_000_000;
/// The longest side a photo may have, whatever its area (a 100000 × 10 strip is no photo).
const MAX_SIDE: u32 = 20_000;
/// JPEG quality of the copies: good for reading labels on site photos, a fraction of the size.
const QUALITY: u8 = 82;

/// The copies of one image, encoded.
#[derive(Debug)]
pub struct Copies {
    pub display: Vec<u8>,
    pub thumbnail: Vec<u8>,
    /// The display copy's size in pixels (upright).
    pub width: u32,
    pub height: u32,
}

/// Why no copies could be made; the message says what to do, for the `file` field (422).
#[derive(Debug, PartialEq, Eq)]
pub struct Refused(pub String);

/// Makes the display copy and thumbnail of the image at `path`. CPU-bound: run it off the
/// async runtime ([`make_copies_blocking`]).
pub fn make_copies(path: &Path) -> Result<Copies, Refused> {
    let file = std::fs::File::open(path).map_err(|e| {
        Refused(format!(
            "the image could not be read back ({e}); send it again"
        ))
    })?;
    decode_and_copy(ImageReader::new(BufReader::new(file)))
}

/// The same, from bytes in memory (a stored original whose copies are made late).
pub fn make_copies_from(bytes: &[u8]) -> Result<Copies, Refused> {
    decode_and_copy(ImageReader::new(Cursor::new(bytes)))
}

fn decode_and_copy<R: std::io::BufRead + std::io::Seek>(
    reader: ImageReader<R>,
) -> Result<Copies, Refused> {
    let damaged = |e: ImageError| match e {
        ImageError::Limits(_) => too_large(None),
        other => Refused(format!(
            "the image could not be read ({other}); it may be damaged or cut off: take or export it again"
        )),
    };
    let mut reader = reader
        .with_guessed_format()
        .map_err(|e| Refused(format!("the image could not be read ({e}); send it again")))?;
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    // The decoded pixels (up to 4 bytes each), with room for the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(damaged)?;
    let (w, h) = decoder.dimensions();
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(too_large(Some((w, h))));
    }
    // A broken EXIF block only loses the orientation, never the photo.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(damaged)?;
    img.apply_orientation(orientation);
    // JPEG has no alpha: a transparent PNG is flattened onto white, as it reads on the page.
    let img = flatten(img);
    let display = scaled(&img, DISPLAY_MAX);
    let (width, height) = (display.width(), display.height());
    let thumbnail = scaled(&display, THUMB_MAX);
    Ok(Copies {
        display: encode(&display)?,
        thumbnail: encode(&thumbnail)?,
        width,
        height,
    })
}

fn too_large(size: Option<(u32, u32)>) -> Refused {
    let what = size.map_or_else(String::new, |(w, h)| format!(" ({w} × {h} pixels)"));
    Refused(format!(
        "the image is too large{what}: photos may have at most {} megapixels and {MAX_SIDE} pixels a side; send a smaller copy",
        MAX_PIXELS / 1_000_000
    ))
}

/// An RGB image, transparent parts on white.
fn flatten(img: DynamicImage) -> DynamicImage {
    if !img.color().has_alpha() {
        return DynamicImage::ImageRgb8(img.to_rgb8());
    }
    let rgba = img.to_rgba8();
    let mut rgb = image::RgbImage::new(rgba.width(), rgba.height());
    for (out, px) in rgb.pixels_mut().zip(rgba.pixels()) {
        let a = u16::from(px.0[3]);
        let over = |c: u8| u8::try_from((u16::from(c) * a + 255 * (255 - a)) / 255).unwrap_or(255);
        *out = image::Rgb([over(px.0[0]), over(px.0[1]), over(px.0[2])]);
    }
    DynamicImage::ImageRgb8(rgb)
}

/// Scaled down (never up) so the longest side is at most `max`. Each source pixel counts
/// once towards the pixel it falls in (an area average): sharp enough for photos, and fast.
fn scaled(img: &DynamicImage, max: u32) -> DynamicImage {
    let (w, h) = fit((img.width(), img.height()), max);
    if (w, h) == (img.width(), img.height()) {
        return img.clone();
    }
    img.thumbnail_exact(w, h)
}

/// A baseline JPEG with only the JFIF header: no EXIF, XMP or ICC segment is written.
fn encode(img: &DynamicImage) -> Result<Vec<u8>, Refused> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode_image(img)
        .map_err(|e| Refused(format!("the image's copy could not be made ({e})")))?;
    Ok(out)
}

/// [`make_copies`] on a blocking thread, so a large photo never stalls the async workers.
pub async fn make_copies_blocking(path: &Path) -> crate::AppResult<Result<Copies, Refused>> {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || make_copies(&path))
        .await
        .map_err(|e| crate::AppError::Internal(format!("photo copies: {e}")))
}

/// [`make_copies_from`] on a blocking thread.
pub async fn make_copies_from_blocking(
    bytes: Vec<u8>,
) -> crate::AppResult<Result<Copies, Refused>> {
    tokio::task::spawn_blocking(move || make_copies_from(&bytes))
        .await
        .map_err(|e| crate::AppError::Internal(format!("photo copies: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbaImage::from_pixel(w, h, image::Rgba([10, 200, 30, 255]));
        let mut out = Vec::new();
        DynamicImage::ImageRgba8(img)
            .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn copies_are_scaled_jpegs_without_metadata() {
        let c = make_copies_from(&png(3000, 1000)).unwrap();
        assert_eq!((c.width, c.height), (2048, 683));
        assert!(c.display.starts_with(b"\xFF\xD8\xFF"));
        let thumb = image::load_from_memory(&c.thumbnail).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (320, 107));
        assert!(!c.display.windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn small_images_are_not_enlarged_and_damaged_ones_are_refused() {
        let c = make_copies_from(&png(40, 30)).unwrap();
        assert_eq!((c.width, c.height), (40, 30));
        let mut cut = png(400, 300);
        cut.truncate(60);
        let Refused(why) = make_copies_from(&cut).unwrap_err();
        assert!(why.contains("could not be read"), "{why}");
    }
}
