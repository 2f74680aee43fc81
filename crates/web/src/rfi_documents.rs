//! The RFI as a PDF (the document mailed to an outside addressee, and the page's PDF link)
//! and the RFI register as a spreadsheet. The PDF renderer is handed to the use cases that
//! mail it (`formula_app::rfis::RfiRenderer`): the app decides what to send and keeps the
//! copy; this crate, which depends on `formula-reports`, lays it out.

use axum::response::Response;
use formula_app::AppError;
use formula_app::rfis::{RfiDocument, RfiExport};
use formula_domain::rfi::{Rfi, RfiLink};
use formula_reports::pdf::{
    Align, Block, Column as PdfColumn, Document, Field, Party, Row, RowKind, Table,
};
use formula_reports::{Cell, Column, Kind, Sheet};

use crate::documents::letterhead;
use crate::ui::format;

/// Draws the RFI's PDF (an [`formula_app::rfis::RfiRenderer`]).
pub fn render_rfi(d: &RfiDocument) -> Result<Vec<u8>, String> {
    formula_reports::pdf::render(&document(d)).map_err(|e| e.to_string())
}

/// The RFI as a download.
pub async fn pdf(d: RfiDocument) -> Result<Response, AppError> {
    let name = format!("{}-{}", d.project.code, d.rfi.code);
    let bytes = tokio::task::spawn_blocking(move || render_rfi(&d))
        .await
        .map_err(|e| AppError::Internal(format!("the PDF task failed: {e}")))?
        .map_err(|e| AppError::Internal(format!("the PDF could not be made: {e}")))?;
    Ok(crate::documents::download(bytes, &name))
}

/// The layout: the letterhead, who asks whom, the question, what it is about, the answer.
pub fn document(d: &RfiDocument) -> Document {
    let r = &d.rfi;
    let p = &d.project;
    let mut fields = vec![Field {
        label: "Status".into(),
        value: r.status.label().to_owned(),
    }];
    if let Some(by) = r.required_by {
        fields.push(Field {
            label: "Answer required by".into(),
            value: format::day(&by),
        });
    }
    fields.push(Field {
        label: "Raised".into(),
        value: format::day(&r.raised_at.date()),
    });
    let mut to = vec![r.addressee_label()];
    if r.addressed_to_user_id.is_none()
        && let (Some(_), Some(e)) = (&r.addressed_to_name, &r.addressed_to_email)
    {
        to = vec![r.addressed_to_name.clone().unwrap_or_default(), e.clone()];
    }
    let mut project_lines = vec![p.name.clone(), format!("Project {}", p.code)];
    project_lines.extend(p.location.clone());
    let parties = vec![
        Party {
            label: "From".into(),
            lines: [r.raised_by_name.clone(), Some(d.company.name.clone())]
                .into_iter()
                .flatten()
                .filter(|l| !l.trim().is_empty())
                .collect(),
        },
        Party {
            label: "To".into(),
            lines: to,
        },
        Party {
            label: "Project".into(),
            lines: project_lines,
        },
    ];
    let mut blocks = vec![
        Block::Heading(format!("{}: {}", r.code, r.subject)),
        Block::Paragraph(r.question.clone()),
    ];
    let links = &d.links;
    if !(links.drawings.is_empty() && links.scope_items.is_empty() && links.rooms.is_empty()) {
        blocks.push(Block::Heading("About".into()));
        let mut rows = Vec::new();
        let mut group = |label: &str, list: &[RfiLink]| {
            for l in list {
                rows.push(Row::new(
                    RowKind::Normal,
                    vec![
                        label.to_owned().into(),
                        l.code.clone().into(),
                        l.name.clone().into(),
                    ],
                ));
            }
        };
        group("Drawing", &links.drawings);
        group("Scope item", &links.scope_items);
        group("Room", &links.rooms);
        blocks.push(Block::Table(Table {
            columns: vec![
                PdfColumn::new("", 1.2, Align::Left),
                PdfColumn::new("Reference", 1.6, Align::Left),
                PdfColumn::new("Name", 4.2, Align::Left),
            ],
            rows,
        }));
    }
    blocks.push(Block::Heading("Answer".into()));
    match &r.answer {
        Some(answer) => {
            let mut by = Vec::new();
            if let Some(n) = &r.answered_by_name {
                by.push(format!("Answered by {n}"));
            }
            if let Some(at) = r.answered_at {
                by.push(format!("on {}", format::day(&at.date())));
            }
            blocks.push(Block::Paragraph(answer.clone()));
            if !by.is_empty() {
                blocks.push(Block::Paragraph(by.join(" ")));
            }
            if let Some(i) = r.impact_label() {
                blocks.push(Block::Paragraph(format!(
                    "Impact: {i}. A variation may follow."
                )));
            }
        }
        None => blocks.push(Block::Paragraph(
            "Awaiting your answer. Please reply to the e-mail this document came with, \
             or answer in the app."
                .into(),
        )),
    }
    Document {
        letterhead: letterhead(&d.company, d.logo.clone()),
        title: "Request for information".into(),
        number: r.code.clone(),
        date: format::day(&d.today),
        fields,
        parties,
        blocks,
        footer: match &d.company.tax_number {
            Some(tax) => format!("{} · Tax no. {tax}", d.company.name),
            None => d.company.name.clone(),
        },
    }
}

/// The register as a spreadsheet download.
pub fn xlsx(e: &RfiExport) -> Result<Response, AppError> {
    let bytes = formula_reports::xlsx_bytes(&[sheet(&e.rfis)])
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::scope_files::download(
        bytes,
        crate::scope_files::Format::Xlsx,
        &format!("{}-rfis", e.project.code),
    ))
}

/// One sheet, one row per RFI, in the register's order.
fn sheet(rfis: &[Rfi]) -> Sheet {
    let columns = vec![
        Column::new("RFI", Kind::Text, 9.0),
        Column::new("Subject", Kind::Text, 36.0),
        Column::new("To", Kind::Text, 28.0),
        Column::new("Raised", Kind::Date, 11.0),
        Column::new("Required by", Kind::Date, 11.0),
        Column::new("Ball in court", Kind::Text, 24.0),
        Column::new("Status", Kind::Text, 10.0),
        Column::new("Overdue", Kind::Text, 9.0),
        Column::new("Answered", Kind::Date, 11.0),
        Column::new("Impact", Kind::Text, 14.0),
    ];
    let rows = rfis
        .iter()
        .map(|r| {
            vec![
                Cell::Text(r.code.clone()),
                Cell::Text(r.subject.clone()),
                Cell::Text(r.addressee_label()),
                Cell::Date(r.raised_at.date()),
                r.required_by.map_or(Cell::Empty, Cell::Date),
                r.ball_in_court_label().map_or(Cell::Empty, Cell::Text),
                Cell::Text(r.status.label().to_owned()),
                Cell::Text(if r.overdue { "Yes" } else { "No" }.into()),
                r.answered_at.map_or(Cell::Empty, |t| Cell::Date(t.date())),
                r.impact_label()
                    .map_or(Cell::Empty, |i| Cell::Text(i.into())),
            ]
        })
        .collect();
    Sheet {
        name: "RFIs".into(),
        columns,
        rows,
        bold_rows: Vec::new(),
    }
}
