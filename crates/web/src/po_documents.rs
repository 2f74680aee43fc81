//! A purchase order as a PDF (the document mailed to the supplier, and the page's PDF link)
//! and the project's orders as a spreadsheet. The PDF renderer is handed to the use case
//! that sends it (`formula_app::purchase_orders::PoRenderer`). Callers who may not see
//! purchase prices get the documents without prices or totals.

use axum::response::Response;
use formula_app::AppError;
use formula_app::context::Caller;
use formula_app::purchase_orders::PoDocument;
use formula_domain::money::{format_amount, minor_digits};
use formula_domain::purchase_order::{PoLine, PoStatus, PurchaseOrder};
use formula_reports::pdf::{
    Align, Block, Column as PdfColumn, Document, Field, Party, Row, RowKind, Table,
};
use formula_reports::{Cell, Column, Kind, Sheet};
use uuid::Uuid;

use crate::documents::{download, letterhead};
use crate::state::AppState;
use crate::ui::format;

/// Draws the order's PDF (a [`formula_app::purchase_orders::PoRenderer`]).
pub fn render_po(d: &PoDocument) -> Result<Vec<u8>, String> {
    formula_reports::pdf::render(&document(d)).map_err(|e| e.to_string())
}

/// The order's PDF, as a download.
pub async fn pdf(state: &AppState, caller: &Caller, id: Uuid) -> Result<Response, AppError> {
    let doc = state.services.purchase_order_document(caller, id).await?;
    let name = format!("{}-{}", doc.project.code, doc.order.number);
    let bytes = tokio::task::spawn_blocking(move || render_po(&doc))
        .await
        .map_err(|e| AppError::Internal(format!("the PDF task failed: {e}")))?
        .map_err(|e| AppError::Internal(format!("the PDF could not be made: {e}")))?;
    Ok(download(bytes, &name))
}

fn amount(minor: i64, cur: &str) -> String {
    format!("{} {cur}", format_amount(minor, cur))
}

/// The layout: the letterhead, the supplier and where to deliver, the lines with their
/// totals, the terms; the running furniture prints the number and "Page x of y".
pub fn document(d: &PoDocument) -> Document {
    let o = &d.order;
    let p = &d.project;
    let cur = o.currency.as_str();
    // The order as sent needs no status; a draft or a cancelled copy says what it is.
    let mut fields = Vec::new();
    if !matches!(
        o.status,
        PoStatus::Approved | PoStatus::Sent | PoStatus::PartiallyReceived | PoStatus::Received
    ) {
        fields.push(Field {
            label: "Status".into(),
            value: o.status.label().to_owned(),
        });
    }
    if let Some(r) = o.required_on {
        fields.push(Field {
            label: "Required by".into(),
            value: format::day(&r),
        });
    }
    fields.push(Field {
        label: "Project".into(),
        value: format!("{} {}", p.code, p.name),
    });
    let mut supplier = vec![d.supplier.name.clone()];
    if let Some(a) = &d.supplier.address {
        supplier.extend(
            a.lines()
                .map(str::to_owned)
                .filter(|l| !l.trim().is_empty()),
        );
    }
    if let Some(t) = &d.supplier.tax_number {
        supplier.push(format!("Tax no. {t}"));
    }
    if let Some(e) = o.sent_to.as_ref().or(d.supplier.email.as_ref()) {
        supplier.push(e.clone());
    }
    let mut deliver = vec![p.name.clone()];
    match &o.delivery_address {
        Some(a) => deliver.extend(
            a.lines()
                .map(str::to_owned)
                .filter(|l| !l.trim().is_empty()),
        ),
        None => deliver.extend(p.location.clone()),
    }
    let parties = vec![
        Party {
            label: "Supplier".into(),
            lines: supplier,
        },
        Party {
            label: "Deliver to".into(),
            lines: deliver,
        },
        Party {
            label: "Ordered by".into(),
            lines: [o.created_by_name.clone(), Some(d.company.name.clone())]
                .into_iter()
                .flatten()
                .filter(|l| !l.trim().is_empty())
                .collect(),
        },
    ];
    let mut rows: Vec<Row> = d
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut desc = l.description.clone();
            if let Some(r) = l.required_on {
                desc.push_str(&format!(" (required {})", format::day(&r)));
            }
            let mut cells = vec![
                (i + 1).to_string().into(),
                desc.into(),
                l.quantity.to_string().into(),
                l.unit.clone().into(),
            ];
            if d.prices {
                cells.push(
                    l.unit_price_minor
                        .map(|m| format_amount(m, cur))
                        .unwrap_or_default()
                        .into(),
                );
                cells.push(
                    l.total_minor
                        .map(|m| format_amount(m, cur))
                        .unwrap_or_default()
                        .into(),
                );
            }
            Row::new(RowKind::Normal, cells)
        })
        .collect();
    let mut columns = vec![
        PdfColumn::new("No.", 0.6, Align::Left),
        PdfColumn::new("Description", 4.2, Align::Left),
        PdfColumn::new("Qty", 1.1, Align::Right),
        PdfColumn::new("Unit", 0.7, Align::Left),
    ];
    if d.prices {
        columns.push(PdfColumn::new(
            &format!("Unit price ({cur})"),
            1.5,
            Align::Right,
        ));
        columns.push(PdfColumn::new(
            &format!("Line total ({cur})"),
            1.6,
            Align::Right,
        ));
        if let Some(total) = o.total_minor {
            rows.push(Row::new(
                RowKind::Total,
                vec![
                    "".into(),
                    "Order total".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    amount(total, cur).into(),
                ],
            ));
        }
    }
    let mut blocks = vec![
        Block::Heading("Lines".into()),
        Block::Table(Table { columns, rows }),
    ];
    if !d.prices {
        blocks.push(Block::Paragraph(
            "Prices are not shown on this copy.".into(),
        ));
    }
    let terms = o
        .terms
        .clone()
        .or(d.supplier.payment_terms.clone())
        .or(d.company.document_terms.clone());
    if let Some(t) = terms.filter(|t| !t.trim().is_empty()) {
        blocks.push(Block::Heading("Terms".into()));
        blocks.push(Block::Paragraph(t));
    }
    if let Some(n) = o.notes.as_ref().filter(|t| !t.trim().is_empty()) {
        blocks.push(Block::Heading("Notes".into()));
        blocks.push(Block::Paragraph(n.clone()));
    }
    blocks.push(Block::Paragraph(format!(
        "Please quote {} on your confirmation, delivery notes and invoice.",
        o.number
    )));
    Document {
        letterhead: letterhead(&d.company, d.logo.clone()),
        title: "Purchase order".into(),
        number: o.number.clone(),
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

/// The project's orders and their lines as a spreadsheet download.
pub async fn xlsx(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
) -> Result<Response, AppError> {
    let (project, register, prices) = state
        .services
        .purchase_order_register(caller, project_id)
        .await?;
    let places = minor_digits(&project.currency);
    let bytes = formula_reports::xlsx_bytes(&[
        orders_sheet(&register, places, prices),
        lines_sheet(&register, places, prices),
    ])
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::scope_files::download(
        bytes,
        crate::scope_files::Format::Xlsx,
        &format!("{}-purchase-orders", project.code),
    ))
}

fn text(v: &Option<String>) -> Cell {
    v.as_ref().map_or(Cell::Empty, |t| Cell::Text(t.clone()))
}

fn orders_sheet(register: &[(PurchaseOrder, Vec<PoLine>)], places: u32, prices: bool) -> Sheet {
    let mut columns = vec![
        Column::new("Order", Kind::Text, 14.0),
        Column::new("Supplier", Kind::Text, 28.0),
        Column::new("Status", Kind::Text, 16.0),
        Column::new("Currency", Kind::Text, 9.0),
    ];
    if prices {
        columns.push(Column::new("Total", Kind::Money { places }, 16.0));
    }
    columns.extend([
        Column::new("Required by", Kind::Date, 11.0),
        Column::new("Raised by", Kind::Text, 18.0),
        Column::new("Raised", Kind::Date, 11.0),
        Column::new("Approved by", Kind::Text, 18.0),
        Column::new("Approved", Kind::Date, 11.0),
        Column::new("Sent", Kind::Date, 11.0),
        Column::new("Sent to", Kind::Text, 24.0),
    ]);
    let rows = register
        .iter()
        .map(|(o, _)| {
            let mut r = vec![
                Cell::Text(o.number.clone()),
                Cell::Text(o.supplier_name.clone()),
                Cell::Text(o.status.label().to_owned()),
                Cell::Text(o.currency.clone()),
            ];
            if prices {
                r.push(o.total_minor.map_or(Cell::Empty, Cell::Money));
            }
            r.extend([
                o.required_on.map_or(Cell::Empty, Cell::Date),
                text(&o.created_by_name),
                Cell::Date(o.created_at.date()),
                text(&o.approved_by_name),
                o.approved_at.map_or(Cell::Empty, |t| Cell::Date(t.date())),
                o.sent_at.map_or(Cell::Empty, |t| Cell::Date(t.date())),
                text(&o.sent_to),
            ]);
            r
        })
        .collect();
    Sheet {
        name: "Purchase orders".into(),
        columns,
        rows,
        bold_rows: Vec::new(),
    }
}

fn lines_sheet(register: &[(PurchaseOrder, Vec<PoLine>)], places: u32, prices: bool) -> Sheet {
    let mut columns = vec![
        Column::new("Order", Kind::Text, 14.0),
        Column::new("Line", Kind::Integer, 6.0),
        Column::new("Spec", Kind::Text, 10.0),
        Column::new("Description", Kind::Text, 40.0),
        Column::new("Qty", Kind::Decimal, 10.0),
        Column::new("Unit", Kind::Text, 7.0),
    ];
    if prices {
        columns.push(Column::new("Unit price", Kind::Money { places }, 14.0));
        columns.push(Column::new("Line total", Kind::Money { places }, 16.0));
    }
    columns.extend([
        Column::new("Required by", Kind::Date, 11.0),
        Column::new("Received", Kind::Decimal, 10.0),
    ]);
    let mut rows = Vec::new();
    for (o, lines) in register {
        for (i, l) in lines.iter().enumerate() {
            let mut r = vec![
                Cell::Text(o.number.clone()),
                Cell::Int(i64::try_from(i + 1).unwrap_or(i64::MAX)),
                text(&l.spec_code),
                Cell::Text(l.description.clone()),
                Cell::Decimal(l.quantity.to_string()),
                Cell::Text(l.unit.clone()),
            ];
            if prices {
                r.push(l.unit_price_minor.map_or(Cell::Empty, Cell::Money));
                r.push(l.total_minor.map_or(Cell::Empty, Cell::Money));
            }
            r.push(l.required_on.map_or(Cell::Empty, Cell::Date));
            r.push(Cell::Decimal(l.received.to_string()));
            rows.push(r);
        }
    }
    Sheet {
        name: "Lines".into(),
        columns,
        rows,
        bold_rows: Vec::new(),
    }
}
