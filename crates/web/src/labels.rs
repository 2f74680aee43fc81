//! Item labels as a PDF: the use case's labels (`formula_app::labels`) worded for the label
//! and handed to the PDF module (`formula_reports::pdf::render_labels`), as a download. The
//! API and the Labels page both answer with this.

use axum::response::Response;
use formula_app::AppError;
use formula_app::context::Caller;
use formula_app::labels::{ItemLabel, LabelPlace, LabelQuery, LabelSet};
use formula_reports::pdf::{Label, LabelLayout, Labels};
use uuid::Uuid;

use crate::documents::download;
use crate::state::AppState;

/// The label stock, as the API and the page name it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LabelStock {
    /// A4 sheets of 2 × 7 labels, 99.1 × 38.1 mm (Avery L7163 and compatible).
    #[default]
    A4,
    /// 100 × 50 mm thermal labels, one a page.
    Thermal,
}

impl LabelStock {
    pub fn as_str(self) -> &'static str {
        match self {
            LabelStock::A4 => "a4",
            LabelStock::Thermal => "thermal",
        }
    }
}

impl std::str::FromStr for LabelStock {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "a4" => Ok(LabelStock::A4),
            "thermal" => Ok(LabelStock::Thermal),
            _ => Err("must be a4 (A4 sheets of 2 × 7 labels) or thermal (100 × 50 mm)".into()),
        }
    }
}

/// Where the label says the item goes, in one line ("T1-L03-0305 Room 305 · Level 3").
pub fn place_text(place: &LabelPlace) -> String {
    let with_level = |mut parts: Vec<String>, level: &Option<String>| {
        parts.extend(level.iter().cloned());
        parts
            .into_iter()
            .filter(|p| !p.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" · ")
    };
    match place {
        LabelPlace::None => String::new(),
        LabelPlace::Text(t) => t.clone(),
        LabelPlace::Room { code, name, level } => {
            let room = if name.is_empty() || name == code {
                code.clone()
            } else {
                format!("{code} {name}")
            };
            with_level(vec![room], level)
        }
        LabelPlace::RoomType {
            code,
            name,
            rooms,
            level,
        } => {
            let rooms = match rooms {
                1 => "1 room".to_owned(),
                n => format!("{n} rooms"),
            };
            with_level(vec![format!("{code} {name}"), rooms], level)
        }
    }
}

/// One label's text.
pub fn label(project: &str, l: &ItemLabel) -> Label {
    Label {
        code: l.code.clone(),
        name: l.name.clone(),
        project: project.to_owned(),
        place: place_text(&l.place),
        quantity: match l.unit_of {
            Some((k, n)) => format!("Unit {k} of {n}"),
            None => format!("Qty {} {}", l.quantity, l.unit),
        },
        url: l.url.clone(),
    }
}

/// The document of a set of labels.
pub fn document(set: &LabelSet, stock: LabelStock) -> Labels {
    let project = format!("{} {}", set.project.code, set.project.name);
    Labels {
        title: format!("Labels {}", set.project.code),
        layout: match stock {
            LabelStock::A4 => LabelLayout::A4Sheet,
            LabelStock::Thermal => LabelLayout::Thermal,
        },
        labels: set.labels.iter().map(|l| label(&project, l)).collect(),
    }
}

/// The labels of `query` in the project as a PDF download.
pub async fn pdf(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    query: &LabelQuery,
    stock: LabelStock,
) -> Result<Response, AppError> {
    let set = state
        .services
        .item_labels(caller, project_id, query)
        .await?;
    let name = format!("{}-labels", set.project.code);
    let doc = document(&set, stock);
    let bytes = tokio::task::spawn_blocking(move || formula_reports::pdf::render_labels(&doc))
        .await
        .map_err(|e| AppError::Internal(format!("the labels task failed: {e}")))?
        .map_err(|e| AppError::Internal(format!("the labels could not be made: {e}")))?;
    Ok(download(bytes, &name))
}
