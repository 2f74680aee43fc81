//! Pictures (logos, photo thumbnails): JPEG or PNG, told apart by their first bytes.

use krilla::image::Image;

/// The largest picture, in pixels a side, a document takes: a logo or a thumbnail never
/// needs more, and a larger one only makes the PDF heavy.
pub const MAX_SIDE: u32 = 4000;

/// Reads a JPEG or PNG, refusing anything else and anything larger than [`MAX_SIDE`].
pub fn load(bytes: &[u8]) -> Result<Image, String> {
    let data: krilla::Data = bytes.to_vec().into();
    let image = if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Image::from_jpeg(data, true)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Image::from_png(data, true)
    } else {
        return Err("the picture must be a JPEG or PNG file".into());
    }
    .map_err(|_| "the picture could not be read; save it again as JPEG or PNG".to_string())?;
    let (w, h) = image.size();
    if w == 0 || h == 0 {
        return Err("the picture is empty".into());
    }
    if w > MAX_SIDE || h > MAX_SIDE {
        return Err(format!(
            "the picture is {w} × {h} pixels; at most {MAX_SIDE} pixels a side, please"
        ));
    }
    Ok(image)
}

/// Scales `(w, h)` to fit inside `max_w × max_h`, keeping its proportions and never
/// enlarging it beyond one pixel a point.
pub fn fit(size: (u32, u32), max_w: f32, max_h: f32) -> (f32, f32) {
    let (w, h) = (size.0 as f32, size.1 as f32);
    let scale = (max_w / w).min(max_h / h).min(1.0);
    (w * scale, h * scale)
}
