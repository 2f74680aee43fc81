//! Uploaded files: what their content really is (never trusting the name), which names are
//! safe to show, and the stored facts about a file.

use serde::Serialize;

/// What is known about a stored file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FileInfo {
    /// The name it was uploaded with (for display and downloads; never a storage path).
    pub name: String,
    pub size: i64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// The type found in the content, e.g. `application/pdf`.
    pub mime: String,
}

/// A kind of file recognised from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub mime: &'static str,
    /// What people call it ("a PDF").
    pub what: &'static str,
    /// File extensions that go with it.
    pub extensions: &'static [&'static str],
}

const PDF: Sniffed = Sniffed {
    mime: "application/pdf",
    what: "a PDF",
    extensions: &["pdf"],
};
const PNG: Sniffed = Sniffed {
    mime: "image/png",
    what: "a PNG image",
    extensions: &["png"],
};
const JPEG: Sniffed = Sniffed {
    mime: "image/jpeg",
    what: "a JPEG image",
    extensions: &["jpg", "jpeg"],
};
const GIF: Sniffed = Sniffed {
    mime: "image/gif",
    what: "a GIF image",
    extensions: &["gif"],
};
const WEBP: Sniffed = Sniffed {
    mime: "image/webp",
    what: "a WebP image",
    extensions: &["webp"],
};
const TIFF: Sniffed = Sniffed {
    mime: "image/tiff",
    what: "a TIFF image",
    extensions: &["tif", "tiff"],
};
const DWG: Sniffed = Sniffed {
    mime: "image/vnd.dwg",
    what: "an AutoCAD drawing (DWG)",
    extensions: &["dwg"],
};
const DXF: Sniffed = Sniffed {
    mime: "image/vnd.dxf",
    what: "a DXF drawing",
    extensions: &["dxf"],
};

/// Recognises a file from its first bytes (8 KiB is plenty).
pub fn sniff(head: &[u8]) -> Option<Sniffed> {
    let starts = |m: &[u8]| head.starts_with(m);
    if starts(b"%PDF-") {
        Some(PDF)
    } else if starts(b"\x89PNG\r\n\x1a\n") {
        Some(PNG)
    } else if starts(b"\xFF\xD8\xFF") {
        Some(JPEG)
    } else if starts(b"GIF87a") || starts(b"GIF89a") {
        Some(GIF)
    } else if starts(b"RIFF") && head.get(8..12) == Some(b"WEBP") {
        Some(WEBP)
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Some(TIFF)
    } else if starts(b"AC10") {
        Some(DWG)
    } else if is_dxf(head) {
        Some(DXF)
    } else {
        None
    }
}

fn is_dxf(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(64)]);
    let mut lines = text.lines().map(str::trim);
    lines.next() == Some("0") && lines.next() == Some("SECTION")
}

/// The extension of a file name, lower-case, if it has one.
fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    (!stem.is_empty() && !ext.is_empty()).then(|| ext.to_ascii_lowercase())
}

/// Every kind [`sniff`] recognises.
const KNOWN: [Sniffed; 8] = [PDF, PNG, JPEG, GIF, WEBP, TIFF, DWG, DXF];

/// Office documents and archives: ZIP containers told apart by their extension only.
const ZIPPED: &[(&str, &str)] = &[
    (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    (
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    (
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("zip", "application/zip"),
];

/// The content must match the extension (when the name has one), and a PDF must be whole.
fn check_found(found: Sniffed, tail: &[u8], name: &str) -> Result<&'static str, String> {
    if let Some(ext) = extension(name)
        && !found.extensions.contains(&ext.as_str())
    {
        let claimed = KNOWN
            .into_iter()
            .find(|s| s.extensions.contains(&ext.as_str()));
        return Err(match claimed {
            Some(c) => format!(
                "the file is named .{ext} but is not {} (its content is {})",
                c.what, found.what
            ),
            None => format!(
                "the file is named .{ext} but its content is {}; rename it",
                found.what
            ),
        });
    }
    if found == PDF && !tail.windows(5).any(|w| w == b"%%EOF") {
        return Err("the PDF is incomplete (it does not end properly); upload it again".into());
    }
    Ok(found.mime)
}

/// Checks that a drawing file is what its name says and arrived whole: the content must be a
/// PDF, an image or a CAD file, match the extension, and a PDF must end with its `%%EOF`
/// marker (`tail` is the file's last bytes). The error says exactly what is wrong.
pub fn check_drawing_file(head: &[u8], tail: &[u8], name: &str) -> Result<&'static str, String> {
    let Some(found) = sniff(head) else {
        return Err(
            "the file is not a PDF, an image (PNG, JPEG, GIF, WebP, TIFF) or a CAD drawing (DWG, DXF)"
                .into(),
        );
    };
    check_found(found, tail, name)
}

/// Checks an attachment, which may be any kind of file: what [`sniff`] recognises must match
/// its name (and a PDF be whole); a name that promises such a file must hold one; Office
/// documents must be the ZIP containers they are. Anything else is kept as
/// `application/octet-stream` and only ever downloaded, never shown in the browser.
pub fn check_attachment_file(head: &[u8], tail: &[u8], name: &str) -> Result<&'static str, String> {
    if let Some(found) = sniff(head) {
        return check_found(found, tail, name);
    }
    let ext = extension(name).unwrap_or_default();
    if let Some(claimed) = KNOWN
        .into_iter()
        .find(|s| s.extensions.contains(&ext.as_str()))
    {
        return Err(format!(
            "the file is named .{ext} but is not {}; check that it is the right file and that it is not damaged",
            claimed.what
        ));
    }
    if let Some((_, mime)) = ZIPPED.iter().find(|(e, _)| *e == ext) {
        return if head.starts_with(b"PK\x03\x04") {
            Ok(mime)
        } else {
            Err(format!(
                "the file is named .{ext} but is not one (it may be damaged); save it again and upload it"
            ))
        };
    }
    Ok("application/octet-stream")
}

/// Whether `c` changes the direction text is shown in: the embeddings and overrides
/// (U+202A–U+202E), the isolates (U+2066–U+2069) and the marks (U+200E, U+200F). In a file
/// name they only serve to disguise it (`invoice\u{202e}fdp.exe` shows as `invoiceexe.pdf`).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// The name to keep and show for an upload: without any folder part, control characters,
/// direction controls or surrounding spaces, at most 200 characters. Never used as a path.
pub fn display_name(original: &str) -> Result<String, String> {
    let last = original
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control() && !is_bidi_control(*c))
        .collect::<String>();
    let name = last.trim().trim_start_matches('.').trim().to_owned();
    if name.is_empty() {
        return Err("the file has no name; give it one like detail-A.pdf".into());
    }
    Ok(name.chars().take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_may_be_any_file_but_never_lie_about_their_kind() {
        let pdf = b"%PDF-1.7\n...";
        assert_eq!(
            check_attachment_file(pdf, b"%%EOF", "spec sheet.pdf"),
            Ok("application/pdf")
        );
        let e = check_attachment_file(b"plain text", b"", "sheet.pdf").unwrap_err();
        assert!(e.contains("is not a PDF"), "{e}");
        let e = check_attachment_file(pdf, b"cut off", "sheet.pdf").unwrap_err();
        assert!(e.contains("incomplete"), "{e}");
        assert_eq!(
            check_attachment_file(b"PK\x03\x04rest", b"", "boq.xlsx"),
            Ok("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        let e = check_attachment_file(b"not a zip", b"", "boq.xlsx").unwrap_err();
        assert!(e.contains("named .xlsx"), "{e}");
        assert_eq!(
            check_attachment_file(b"site notes", b"", "notes.txt"),
            Ok("application/octet-stream")
        );
        assert_eq!(
            check_attachment_file(b"\xFF\xD8\xFFjpeg", b"", "IMG_0001.JPG"),
            Ok("image/jpeg")
        );
    }

    #[test]
    fn content_decides_not_the_name() {
        let pdf = b"%PDF-1.7\n...";
        assert_eq!(
            check_drawing_file(pdf, b"...\n%%EOF\n", "a.pdf"),
            Ok("application/pdf")
        );
        assert_eq!(
            check_drawing_file(b"\x89PNG\r\n\x1a\nxxxx", b"", "plan.PNG"),
            Ok("image/png")
        );
        let e = check_drawing_file(b"\x89PNG\r\n\x1a\n", b"", "a.pdf").unwrap_err();
        assert!(e.contains("not a PDF") && e.contains("PNG"), "{e}");
        let e = check_drawing_file(pdf, b"truncated", "a.pdf").unwrap_err();
        assert!(e.contains("incomplete"), "{e}");
        let e = check_drawing_file(b"MZ\x90\x00", b"", "virus.pdf").unwrap_err();
        assert!(e.contains("not a PDF, an image"), "{e}");
        assert_eq!(
            check_drawing_file(b"  0\r\nSECTION\r\n  2\r\nHEADER", b"", "x.dxf"),
            Ok("image/vnd.dxf")
        );
        assert_eq!(
            check_drawing_file(b"AC1032....", b"", "x.dwg"),
            Ok("image/vnd.dwg")
        );
    }

    #[test]
    fn names_lose_their_folders() {
        assert_eq!(display_name("../../etc/passwd").unwrap(), "passwd");
        assert_eq!(
            display_name("C:\\work\\D-101 rev B.pdf").unwrap(),
            "D-101 rev B.pdf"
        );
        assert_eq!(display_name("  .hidden.pdf ").unwrap(), "hidden.pdf");
        assert_eq!(display_name("a\u{0}b\n.pdf").unwrap(), "ab.pdf");
        assert!(display_name("dir/").is_err());
        assert!(display_name("").is_err());
    }

    #[test]
    fn names_lose_their_direction_overrides() {
        // "invoice\u{202e}fdp.exe" shows as "invoiceexe.pdf" in a right-to-left override.
        assert_eq!(
            display_name("invoice\u{202e}fdp.exe").unwrap(),
            "invoicefdp.exe"
        );
        let every = "a\u{202a}\u{202b}\u{202c}\u{202d}\u{202e}\u{2066}\u{2067}\u{2068}\u{2069}\u{200e}\u{200f}b.pdf";
        assert_eq!(display_name(every).unwrap(), "ab.pdf");
        // Right-to-left text itself is kept.
        assert_eq!(display_name("مخطط.pdf").unwrap(), "مخطط.pdf");
        assert!(display_name("\u{202e}\u{200f}").is_err());
    }
}
