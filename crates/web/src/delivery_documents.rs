//! A delivery note as a PDF: the document that travels with the goods, and once received
//! on site, the same with the received quantities and the typed signature (kept as an
//! attachment of the note: `formula_app::deliveries::DeliveryRenderer`).

use axum::response::Response;
use formula_app::AppError;
use formula_app::context::Caller;
use formula_app::deliveries::DeliveryDocument;
use formula_domain::delivery::DeliveryStatus;
use formula_reports::pdf::{
    Align, Block, Column as PdfColumn, Document, Field, Party, Row, RowKind, Table,
};
use uuid::Uuid;

use crate::documents::{download, letterhead};
use crate::state::AppState;
use crate::ui::format;

/// Draws the note's PDF (a [`formula_app::deliveries::DeliveryRenderer`]).
pub fn render_delivery_note(d: &DeliveryDocument) -> Result<Vec<u8>, String> {
    formula_reports::pdf::render(&document(d)).map_err(|e| e.to_string())
}

/// The note's PDF, as a download.
pub async fn pdf(state: &AppState, caller: &Caller, id: Uuid) -> Result<Response, AppError> {
    let doc = state.services.delivery_document(caller, id).await?;
    let name = format!("{}-{}", doc.project.code, doc.note.code);
    let bytes = tokio::task::spawn_blocking(move || render_delivery_note(&doc))
        .await
        .map_err(|e| AppError::Internal(format!("the PDF task failed: {e}")))?
        .map_err(|e| AppError::Internal(format!("the PDF could not be made: {e}")))?;
    Ok(download(bytes, &name))
}

/// The layout: the letterhead, where it goes and how, the lines (with what was received
/// once it was), and the signatures; the running furniture prints the number and "Page x of
/// y".
pub fn document(d: &DeliveryDocument) -> Document {
    let n = &d.note;
    let p = &d.project;
    let mut fields = vec![Field {
        label: "Status".into(),
        value: n.status.label().to_owned(),
    }];
    if let Some(day) = n.planned_on {
        fields.push(Field {
            label: "Planned".into(),
            value: format::day(&day),
        });
    }
    if let Some(t) = n.dispatched_at {
        fields.push(Field {
            label: "Dispatched".into(),
            value: format::stamp(&t),
        });
    }
    fields.push(Field {
        label: "Project".into(),
        value: format!("{} {}", p.code, p.name),
    });
    let mut to = vec![p.name.clone()];
    if let Some(dest) = &n.destination {
        to.push(dest.clone());
    }
    if let Some(a) = &n.address {
        to.extend(
            a.lines()
                .map(str::to_owned)
                .filter(|l| !l.trim().is_empty()),
        );
    }
    let transport: Vec<String> = [
        n.vehicle.as_ref().map(|v| format!("Vehicle: {v}")),
        n.driver.as_ref().map(|v| format!("Driver: {v}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let parties = vec![
        Party {
            label: "Deliver to".into(),
            lines: to,
        },
        Party {
            label: "Transport".into(),
            lines: if transport.is_empty() {
                vec!["—".into()]
            } else {
                transport
            },
        },
        Party {
            label: "From".into(),
            lines: [Some(d.company.name.clone()), n.created_by_name.clone()]
                .into_iter()
                .flatten()
                .filter(|l| !l.trim().is_empty())
                .collect(),
        },
    ];
    let received = !n.receipts.is_empty();
    let mut columns = vec![
        PdfColumn::new("No.", 0.5, Align::Left),
        PdfColumn::new("Item", 1.9, Align::Left),
        PdfColumn::new("Name", 3.2, Align::Left),
        PdfColumn::new("Room / level", 1.6, Align::Left),
        PdfColumn::new("Qty", 0.9, Align::Right),
        PdfColumn::new("Unit", 0.6, Align::Left),
    ];
    if received {
        columns.push(PdfColumn::new("Received", 1.1, Align::Right));
    }
    let rows = n
        .lines
        .iter()
        .map(|l| {
            let mut name = l.item_name.clone();
            if let Some(note) = &l.note {
                name.push_str(&format!(" ({note})"));
            }
            let mut cells = vec![
                l.position.to_string().into(),
                l.item_code.clone().into(),
                name.into(),
                l.place.clone().unwrap_or_default().into(),
                l.quantity.to_string().into(),
                l.unit.clone().into(),
            ];
            if received {
                cells.push(l.received.to_string().into());
            }
            Row::new(RowKind::Normal, cells)
        })
        .collect();
    let mut blocks = vec![
        Block::Heading("Lines".into()),
        Block::Table(Table { columns, rows }),
    ];
    if let Some(t) = n.notes.as_ref().filter(|t| !t.trim().is_empty()) {
        blocks.push(Block::Heading("Notes".into()));
        blocks.push(Block::Paragraph(t.clone()));
    }
    if received {
        blocks.push(Block::Heading("Receipt on site".into()));
        // Oldest first: the order they arrived in.
        for r in n.receipts.iter().rev() {
            let what = r
                .lines
                .iter()
                .map(|l| format!("{} × {}", l.quantity, l.item_code))
                .collect::<Vec<_>>()
                .join(", ");
            let mut text = format!(
                "Signed on receipt by {}, {}",
                r.signed_name,
                format::stamp(&r.recorded_at)
            );
            text.push_str(&format!(
                "\nReceived on {}: {what}",
                format::day(&r.received_on)
            ));
            if let Some(by) = &r.received_by_name {
                text.push_str(&format!("\nRecorded by {by}"));
            }
            if let Some(note) = r.note.as_ref().filter(|t| !t.trim().is_empty()) {
                text.push_str(&format!("\n{note}"));
            }
            blocks.push(Block::Paragraph(text));
        }
        if n.status == DeliveryStatus::PartiallyReceived {
            blocks.push(Block::Paragraph(
                "Received in part: the rest is still to come.".into(),
            ));
        }
    } else {
        blocks.push(Block::Space(24.0));
        blocks.push(Block::Paragraph(
            "Received in good order (name, date, signature): ______________________________".into(),
        ));
    }
    Document {
        letterhead: letterhead(&d.company, d.logo.clone()),
        title: "Delivery note".into(),
        number: n.code.clone(),
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
