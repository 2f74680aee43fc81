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
}

impl Attachment {
    /// The storage key of a new attachment's file.
    pub fn blob_key_for(project_id: Uuid, id: Uuid) -> String {
        format!("attachments/{project_id}/{id}")
    }
}
