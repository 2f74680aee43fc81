//! The snag list as a spreadsheet and as a PDF for the site walk (the API and the Snags
//! page share them): filtered like the list, grouped by level and room, client users'
//! holding only the snags shared with them, photos as their thumbnails (stripped copies).

use axum::response::Response;
use formula_app::AppError;
use formula_app::context::Caller;
use formula_app::snags::SnagExport;
use formula_domain::snag::{Snag, SnagStatus};
use formula_reports::pdf::{
    Align, Block, Cell as PdfCell, Column as PdfColumn, Document, Field, Party, Row, RowKind, Table,
};
use formula_reports::{Cell, Column, Kind, Sheet};
use uuid::Uuid;

use crate::api::snags::Filters;
use crate::documents::{download, letterhead, render};
use crate::state::AppState;
use crate::ui::format;

/// The spreadsheet of the snags matching `filters`, as a download.
pub async fn xlsx(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    filters: Filters,
) -> Result<Response, AppError> {
    let s = &state.services;
    let export = s
        .snag_export(caller, project_id, filters.as_of(s.today()), false)
        .await?;
    let bytes = formula_reports::xlsx_bytes(&[sheet(&export.snags)])
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::scope_files::download(
        bytes,
        crate::scope_files::Format::Xlsx,
        &format!("{}-snags", export.project.code),
    ))
}

/// The PDF of the snags matching `filters`, as a download.
pub async fn pdf(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
    filters: Filters,
) -> Result<Response, AppError> {
    let s = &state.services;
    let export = s
        .snag_export(caller, project_id, filters.as_of(s.today()), true)
        .await?;
    let doc = document(&export, &format::day(&s.today()));
    let bytes = render(doc).await?;
    Ok(download(bytes, &format!("{}-snags", export.project.code)))
}

fn text(v: &Option<String>) -> Cell {
    v.as_ref().map_or(Cell::Empty, |t| Cell::Text(t.clone()))
}

fn when(t: Option<time::OffsetDateTime>) -> Cell {
    t.map_or(Cell::Empty, |t| Cell::Date(t.date()))
}

/// One sheet, one row per snag, in the list's order.
fn sheet(snags: &[Snag]) -> Sheet {
    let columns = vec![
        Column::new("Snag", Kind::Text, 9.0),
        Column::new("Level", Kind::Text, 12.0),
        Column::new("Room", Kind::Text, 14.0),
        Column::new("Room name", Kind::Text, 18.0),
        Column::new("Item", Kind::Text, 14.0),
        Column::new("Title", Kind::Text, 32.0),
        Column::new("Description", Kind::Text, 40.0),
        Column::new("Category", Kind::Text, 12.0),
        Column::new("Status", Kind::Text, 10.0),
        Column::new("Responsible", Kind::Text, 20.0),
        Column::new("Due", Kind::Date, 11.0),
        Column::new("Overdue", Kind::Text, 9.0),
        Column::new("Client sees", Kind::Text, 10.0),
        Column::new("Raised by", Kind::Text, 18.0),
        Column::new("Raised", Kind::Date, 11.0),
        Column::new("Fixed", Kind::Date, 11.0),
        Column::new("Verified", Kind::Date, 11.0),
        Column::new("Closed", Kind::Date, 11.0),
        Column::new("Rejected because", Kind::Text, 30.0),
        Column::new("Photos", Kind::Integer, 8.0),
    ];
    let yes = |b: bool| Cell::Text(if b { "Yes" } else { "No" }.into());
    let rows = snags
        .iter()
        .map(|s| {
            vec![
                Cell::Text(s.code.clone()),
                text(&s.level_code),
                Cell::Text(s.room_code.clone()),
                Cell::Text(s.room_name.clone()),
                text(&s.scope_item_code),
                Cell::Text(s.title.clone()),
                text(&s.description),
                Cell::Text(s.category.as_str().to_owned()),
                Cell::Text(s.status.label().to_owned()),
                text(&s.responsible()),
                s.due_on.map_or(Cell::Empty, Cell::Date),
                yes(s.overdue),
                yes(s.client_visible),
                text(&s.raised_by_name),
                Cell::Date(s.raised_at.date()),
                when(s.fixed_at),
                when(s.verified_at),
                if s.status == SnagStatus::Closed {
                    when(s.closed_at)
                } else {
                    Cell::Empty
                },
                text(&s.rejected_reason),
                Cell::Int(s.photo_count),
            ]
        })
        .collect();
    Sheet {
        name: "Snags".into(),
        columns,
        rows,
        bold_rows: Vec::new(),
    }
}

/// The site-walk document: a heading per level, a table of its rooms' snags (a tinted row
/// per room), each with its first photo's thumbnail.
fn document(e: &SnagExport, date: &str) -> Document {
    let mut blocks = Vec::new();
    let mut current_level: Option<Option<Uuid>> = None;
    let mut current_room: Option<Uuid> = None;
    let mut rows: Vec<Row> = Vec::new();
    let columns = || {
        vec![
            PdfColumn::new("Snag", 0.9, Align::Left),
            PdfColumn::new("What", 4.0, Align::Left),
            PdfColumn::new("Status", 1.3, Align::Left),
            PdfColumn::new("Photo", 1.6, Align::Center),
        ]
    };
    let flush = |blocks: &mut Vec<Block>, rows: &mut Vec<Row>| {
        if !rows.is_empty() {
            blocks.push(Block::Table(Table {
                columns: columns(),
                rows: std::mem::take(rows),
            }));
        }
    };
    for s in &e.snags {
        if current_level != Some(s.level_id) {
            flush(&mut blocks, &mut rows);
            current_level = Some(s.level_id);
            current_room = None;
            let heading = match (&s.level_code, &s.level_name) {
                (Some(c), Some(n)) => format!("{n} ({c})"),
                _ => "Rooms outside a level".to_owned(),
            };
            blocks.push(Block::Heading(heading));
        }
        if current_room != Some(s.room_id) {
            current_room = Some(s.room_id);
            rows.push(Row::new(
                RowKind::Group,
                vec![format!("{} · {}", s.room_code, s.room_name).into()],
            ));
        }
        let mut what = s.title.clone();
        if let Some(d) = s.description.as_deref().filter(|d| !d.trim().is_empty()) {
            what.push('\n');
            what.push_str(d.trim());
        }
        let mut facts = vec![s.category.label().to_owned()];
        if let Some(code) = &s.scope_item_code {
            facts.push(format!("Item {code}"));
        }
        if let Some(r) = s.responsible() {
            facts.push(format!("For {r}"));
        }
        if let Some(d) = s.due_on {
            facts.push(format!("Due {}", format::day(&d)));
        }
        what.push('\n');
        what.push_str(&facts.join(" · "));
        let mut status = s.status.label().to_owned();
        if s.overdue {
            status.push_str("\nOverdue");
        }
        if let Some(r) = &s.rejected_reason {
            status.push('\n');
            status.push_str(r);
        }
        let photo = match e.thumbnails.get(&s.id).and_then(|t| t.first()) {
            Some(bytes) => PdfCell::Image {
                data: bytes.clone(),
                height: 64.0,
            },
            None => PdfCell::from(if s.photo_count > 0 { "(photo)" } else { "" }),
        };
        rows.push(Row::new(
            RowKind::Normal,
            vec![s.code.clone().into(), what.into(), status.into(), photo],
        ));
    }
    flush(&mut blocks, &mut rows);
    if e.snags.is_empty() {
        blocks.push(Block::Paragraph("No snags match this list.".into()));
    }
    let open = e.snags.iter().filter(|s| s.status.blocks_signoff()).count();
    let p = &e.project;
    Document {
        letterhead: letterhead(&e.company, e.logo.clone()),
        title: "Snag list".into(),
        number: p.code.clone(),
        date: date.to_owned(),
        fields: vec![
            Field {
                label: "Snags".into(),
                value: e.snags.len().to_string(),
            },
            Field {
                label: "Open or fixed".into(),
                value: open.to_string(),
            },
        ],
        parties: vec![
            Party {
                label: "Client".into(),
                lines: vec![p.client_name.clone()],
            },
            Party {
                label: "Project".into(),
                lines: vec![p.name.clone(), format!("Project {}", p.code)],
            },
        ],
        blocks,
        footer: match &e.company.tax_number {
            Some(tax) => format!("{} · Tax no. {tax}", e.company.name),
            None => e.company.name.clone(),
        },
    }
}
