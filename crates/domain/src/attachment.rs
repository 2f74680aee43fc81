//! Attachments: files added to a project, a task, a scope item, a drawing, a material
//! specification or a comment (photos, site notes, samples, data sheets). Each attachment
//! owns its file; removing the attachment, or the thing it is attached to, removes the file.

use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::enums::string_enum;
use crate::files::FileInfo;

string_enum!(
    /// What an attachment belongs to.
    OwnerKind {
        Project => "project", "Project",
        Task => "task", "Task",
        ScopeItem => "scope_item", "Scope item",
        Drawing => "drawing", "Drawing",
        Spec => "spec", "Specification",
        Comment => "comment", "Comment",
        Installation => "installation", "Installation",
        Snag => "snag", "Snag",
        Rfi => "rfi", "RFI",
        PurchaseOrder => "purchase_order", "Purchase order",
        GoodsReceipt => "goods_receipt", "Goods receipt",
        DeliveryNote => "delivery_note", "Delivery note",
        DeliveryReceipt => "delivery_receipt", "Delivery receipt",
        QaCheck => "qa_check", "QA check",
    }
);

string_enum!(
    /// Why a file is attached: most are documents; specifications also keep samples.
    Purpose {
        Document => "document", "Document",
        Photo => "photo", "Photo",
        Sample => "sample", "Sample",
    }
);

/// A file attached to something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Attachment {
    pub id: Uuid,
    pub project_id: Uuid,
    /// What it is attached to (`owner_type` on the wire, like the API's parameters).
    #[serde(rename = "owner_type")]
    pub owner_kind: OwnerKind,
    pub owner_id: Uuid,
    pub purpose: Purpose,
    /// A short description, e.g. "Veneer sample approved on site".
    pub caption: Option<String>,
    pub file: FileInfo,
    /// Where the file is kept (never shown).
    #[serde(skip)]
    pub blob_key: String,
    pub uploaded_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub uploaded_at: OffsetDateTime,
    /// For a JPEG or PNG photo: its server-made copies (`null` for other files, and for an
    /// image attached before copies were made, until they are first asked for).
    pub image: Option<ImageCopies>,
}

/// The copies the server makes of an image: a display copy (upright, the longest side at
/// most [`DISPLAY_MAX`] px) and a thumbnail (at most [`THUMB_MAX`] px), both JPEG without
/// any metadata. The original keeps its EXIF and GPS data as evidence for the team; client
/// users are only ever served these copies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ImageCopies {
    /// The display copy's width in pixels (upright).
    pub width: u32,
    /// The display copy's height in pixels (upright).
    pub height: u32,
    #[serde(skip)]
    pub display_key: String,
    #[serde(skip)]
    pub thumb_key: String,
}

/// The longest side of an image's display copy, in pixels.
pub const DISPLAY_MAX: u32 = 2048;
/// The longest side of an image's thumbnail, in pixels.
pub const THUMB_MAX: u32 = 320;

/// The size of `(width, height)` scaled down (never up) so its longest side is at most
/// `max`, keeping the proportions; never below 1 px.
pub fn fit((width, height): (u32, u32), max: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max || longest == 0 {
        return (width.max(1), height.max(1));
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(max) + u64::from(longest) / 2) / u64::from(longest);
        u32::try_from(scaled).unwrap_or(max).max(1)
    };
    (scale(width), scale(height))
}

/// Whether files of this type get server-made copies (and are never served as they are to
/// client users): the photo formats phones send.
pub fn makes_copies(mime: &str) -> bool {
    matches!(mime, "image/jpeg" | "image/png")
}

/// Whether a file of this type may carry metadata a client must not get (EXIF with GPS
/// positions, XMP): served to client users only through its copies.
pub fn may_carry_metadata(mime: &str) -> bool {
    matches!(
        mime,
        "image/jpeg" | "image/png" | "image/webp" | "image/tiff"
    )
}

/// Which file of an attachment is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// The file as uploaded (a client user asking for an image gets the display copy).
    Original,
    /// An image's display copy.
    Display,
    /// An image's thumbnail.
    Thumbnail,
}

impl ImageCopies {
    /// The thumbnail's size in pixels (for the `<img>` tag's `width` and `height`).
    pub fn thumb_size(&self) -> (u32, u32) {
        fit((self.width, self.height), THUMB_MAX)
    }
}

impl Attachment {
    /// The storage key of a new attachment's file.
    pub fn blob_key_for(project_id: Uuid, id: Uuid) -> String {
        format!("attachments/{project_id}/{id}")
    }

    /// The storage keys of an image attachment's display copy and thumbnail; `made` (a new
    /// id) keeps copies made twice at once (for an older image, by two first viewers) apart.
    pub fn copy_keys_for(project_id: Uuid, id: Uuid, made: Uuid) -> (String, String) {
        (
            format!("attachments/{project_id}/{id}.{made}.display.jpg"),
            format!("attachments/{project_id}/{id}.{made}.thumb.jpg"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_scaled_down_never_up() {
        assert_eq!(fit((4032, 3024), DISPLAY_MAX), (2048, 1536));
        assert_eq!(fit((3024, 4032), THUMB_MAX), (240, 320));
        assert_eq!(fit((100, 50), THUMB_MAX), (100, 50));
        assert_eq!(fit((10000, 1), THUMB_MAX), (320, 1));
        assert_eq!(fit((0, 0), THUMB_MAX), (1, 1));
    }

    #[test]
    fn only_photo_formats_get_copies_and_metadata_formats_are_never_served_to_clients() {
        assert!(makes_copies("image/jpeg") && makes_copies("image/png"));
        assert!(!makes_copies("application/pdf") && !makes_copies("image/gif"));
        assert!(may_carry_metadata("image/tiff") && may_carry_metadata("image/webp"));
        assert!(!may_carry_metadata("image/gif") && !may_carry_metadata("application/pdf"));
    }
}
