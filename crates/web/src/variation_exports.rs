//! A variation as a PDF for the client, and the variation register as a spreadsheet (the API
//! and the Variations pages share them). Client users get only what they may see: the
//! variations submitted to them and the client's requests, never a draft's prices.

use axum::response::Response;
use formula_app::AppError;
use formula_app::context::Caller;
use formula_app::variations::VariationDocument;
use formula_domain::money::{format_amount, minor_digits};
use formula_domain::variation::{LineKind, Variation, VariationDecision, VariationLine};
use formula_reports::pdf::{
    Align, Block, Column as PdfColumn, Document, Field, Party, Row, RowKind, Table,
};
use formula_reports::{Cell, Column, Kind, Sheet};
use uuid::Uuid;

use crate::documents::{download, letterhead, render};
use crate::state::AppState;
use crate::ui::format;

/// The register of the project's variations with their lines, as a download.
pub async fn xlsx(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
) -> Result<Response, AppError> {
    let (project, register) = state
        .services
        .variation_register(caller, project_id)
        .await?;
    let places = minor_digits(&project.currency);
    let bytes = formula_reports::xlsx_bytes(&[
        register_sheet(&register, places),
        lines_sheet(&register, places),
    ])
    .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::scope_files::download(
        bytes,
        crate::scope_files::Format::Xlsx,
        &format!("{}-variations", project.code),
    ))
}

/// The variation's PDF, as a download.
pub async fn pdf(state: &AppState, caller: &Caller, id: Uuid) -> Result<Response, AppError> {
    let s = &state.services;
    let doc = s.variation_document(caller, id).await?;
    let name = format!("{}-{}", doc.project.code, doc.details.variation.code);
    let bytes = render(document(&doc, &format::day(&s.today()))).await?;
    Ok(download(bytes, &name))
}

fn text(v: &Option<String>) -> Cell {
    v.as_ref().map_or(Cell::Empty, |t| Cell::Text(t.clone()))
}

fn when(t: Option<time::OffsetDateTime>) -> Cell {
    t.map_or(Cell::Empty, |t| Cell::Date(t.date()))
}

/// One row per variation, newest first.
fn register_sheet(register: &[(Variation, Vec<VariationLine>)], places: u32) -> Sheet {
    let columns = vec![
        Column::new("Variation", Kind::Text, 10.0),
        Column::new("Title", Kind::Text, 36.0),
        Column::new("Reason", Kind::Text, 16.0),
        Column::new("RFI", Kind::Text, 9.0),
        Column::new("Status", Kind::Text, 18.0),
        Column::new("Requested by client", Kind::Text, 10.0),
        Column::new("Currency", Kind::Text, 9.0),
        Column::new("Total", Kind::Money { places }, 16.0),
        Column::new("Time impact (days)", Kind::Integer, 10.0),
        Column::new("Raised by", Kind::Text, 18.0),
        Column::new("Raised", Kind::Date, 11.0),
        Column::new("Submitted", Kind::Date, 11.0),
        Column::new("Decided", Kind::Date, 11.0),
        Column::new("Applied", Kind::Date, 11.0),
    ];
    let rows = register
        .iter()
        .map(|(v, _)| {
            vec![
                Cell::Text(v.code.clone()),
                Cell::Text(v.title.clone()),
                Cell::Text(v.reason.label().to_owned()),
                text(&v.rfi_code),
                Cell::Text(v.state_label().to_owned()),
                Cell::Text(if v.requested_by_client { "Yes" } else { "No" }.into()),
                Cell::Text(v.currency.clone()),
                v.total_minor.map_or(Cell::Empty, Cell::Money),
                v.time_impact_days
                    .map_or(Cell::Empty, |d| Cell::Int(i64::from(d))),
                text(&v.raised_by_name),
                Cell::Date(v.raised_at.date()),
                when(v.submitted_at),
                when(v.decided_at),
                when(v.applied_at),
            ]
        })
        .collect();
    Sheet {
        name: "Variations".into(),
        columns,
        rows,
        bold_rows: Vec::new(),
    }
}

/// Every priced line, under its variation's code.
fn lines_sheet(register: &[(Variation, Vec<VariationLine>)], places: u32) -> Sheet {
    let columns = vec![
        Column::new("Variation", Kind::Text, 10.0),
        Column::new("Line", Kind::Text, 8.0),
        Column::new("Item", Kind::Text, 18.0),
        Column::new("Name", Kind::Text, 30.0),
        Column::new("Unit", Kind::Text, 7.0),
        Column::new("Qty before", Kind::Decimal, 10.0),
        Column::new("Rate before", Kind::Money { places }, 14.0),
        Column::new("Qty", Kind::Decimal, 10.0),
        Column::new("Rate", Kind::Money { places }, 14.0),
        Column::new("Amount", Kind::Money { places }, 16.0),
        Column::new("Note", Kind::Text, 30.0),
    ];
    let mut rows = Vec::new();
    for (v, lines) in register {
        for l in lines {
            rows.push(vec![
                Cell::Text(v.code.clone()),
                Cell::Text(l.kind.label().to_owned()),
                text(&l.code),
                text(&l.name),
                text(&l.unit),
                l.quantity_before
                    .map_or(Cell::Empty, |q| Cell::Decimal(q.to_string())),
                l.unit_price_before_minor.map_or(Cell::Empty, Cell::Money),
                l.quantity
                    .map_or(Cell::Empty, |q| Cell::Decimal(q.to_string())),
                l.unit_price_minor.map_or(Cell::Empty, Cell::Money),
                Cell::Money(l.amount_minor),
                text(&l.note),
            ]);
        }
    }
    Sheet {
        name: "Lines".into(),
        columns,
        rows,
        bold_rows: Vec::new(),
    }
}

/// `12,345.67 USD`, signed.
fn amount(minor: i64, currency: &str) -> String {
    format!("{} {currency}", format_amount(minor, currency))
}

/// What a line says it does, in the client's words.
fn line_words(l: &VariationLine) -> String {
    let what = match (&l.code, &l.name) {
        (Some(c), Some(n)) => format!("{c} {n}"),
        (None, Some(n)) => n.clone(),
        (Some(c), None) => c.clone(),
        (None, None) => String::new(),
    };
    let mut s = match l.kind {
        LineKind::Add => format!("New: {what}"),
        LineKind::Omit => format!("Omit: {what}"),
        LineKind::Change => format!("Change: {what}"),
    };
    if let Some(d) = l.description.as_deref().filter(|d| !d.trim().is_empty()) {
        s.push('\n');
        s.push_str(d.trim());
    }
    if let Some(n) = l.note.as_deref().filter(|n| !n.trim().is_empty()) {
        s.push('\n');
        s.push_str(n.trim());
    }
    s
}

/// The quantity column: the new quantity, or "was → now" for a change.
fn line_quantity(l: &VariationLine) -> String {
    match l.kind {
        LineKind::Add => l.quantity.map(|q| q.to_string()).unwrap_or_default(),
        LineKind::Omit => l
            .quantity_before
            .map(|q| format!("−{q}"))
            .unwrap_or_default(),
        LineKind::Change => match (l.quantity_before, l.quantity) {
            (Some(b), Some(a)) if a != b => format!("{b} → {a}"),
            (_, Some(a)) => a.to_string(),
            _ => String::new(),
        },
    }
}

fn line_rate(l: &VariationLine, currency: &str) -> String {
    let r = |m: Option<i64>| m.map(|m| format_amount(m, currency)).unwrap_or_default();
    match l.kind {
        LineKind::Add => r(l.unit_price_minor),
        LineKind::Omit => r(l.unit_price_before_minor),
        LineKind::Change if l.unit_price_minor != l.unit_price_before_minor => format!(
            "{} → {}",
            r(l.unit_price_before_minor),
            r(l.unit_price_minor)
        ),
        LineKind::Change => r(l.unit_price_minor),
    }
}

/// The variation document: its header, the lines table with the total, the time impact,
/// its status and the decisions on it.
pub fn document(d: &VariationDocument, date: &str) -> Document {
    let v = &d.details.variation;
    let p = &d.project;
    let cur = v.currency.as_str();
    let mut blocks = vec![Block::Heading(v.title.clone())];
    if let Some(desc) = v.description.as_deref().filter(|t| !t.trim().is_empty()) {
        blocks.push(Block::Paragraph(desc.trim().to_owned()));
    }
    if d.details.lines.is_empty() {
        blocks.push(Block::Paragraph(
            "Not priced yet: the contractor prices this request before submitting it.".into(),
        ));
    } else {
        let mut rows: Vec<Row> = d
            .details
            .lines
            .iter()
            .map(|l| {
                Row::new(
                    RowKind::Normal,
                    vec![
                        l.kind.label().into(),
                        line_words(l).into(),
                        line_quantity(l).into(),
                        l.unit.clone().unwrap_or_default().into(),
                        line_rate(l, cur).into(),
                        format_amount(l.amount_minor, cur).into(),
                    ],
                )
            })
            .collect();
        if let Some(total) = v.total_minor {
            rows.push(Row::new(
                RowKind::Total,
                vec![
                    "".into(),
                    "Total change".into(),
                    "".into(),
                    "".into(),
                    "".into(),
                    amount(total, cur).into(),
                ],
            ));
        }
        blocks.push(Block::Table(Table {
            columns: vec![
                PdfColumn::new("Line", 1.2, Align::Left),
                PdfColumn::new("Description", 3.6, Align::Left),
                PdfColumn::new("Qty", 1.2, Align::Right),
                PdfColumn::new("Unit", 0.7, Align::Left),
                PdfColumn::new("Rate", 1.6, Align::Right),
                PdfColumn::new("Amount", 1.6, Align::Right),
            ],
            rows,
        }));
    }
    blocks.push(Block::Space(8.0));
    let time = match v.time_impact_days {
        Some(0) | None => "Time impact: none".to_owned(),
        Some(n) if n > 0 => format!("Time impact: {n} days added to the programme"),
        Some(n) => format!("Time impact: {} days saved", n.unsigned_abs()),
    };
    blocks.push(Block::Paragraph(time));
    let mut status = format!("Status: {}", v.state_label());
    if let Some(at) = v.submitted_at {
        status.push_str(&format!(" · submitted {}", format::day(&at.date())));
    }
    blocks.push(Block::Paragraph(status));
    if !d.details.reviews.is_empty() {
        blocks.push(Block::Heading("Decision".into()));
        for r in &d.details.reviews {
            let mut line = format!(
                "{} by {} on {}",
                match r.decision {
                    VariationDecision::Approved => "Approved",
                    VariationDecision::Rejected => "Rejected",
                },
                r.reviewer_name.clone().unwrap_or_else(|| "—".into()),
                format::day(&r.at.date())
            );
            if let Some(c) = r.comments.as_deref().filter(|c| !c.trim().is_empty()) {
                line.push_str(&format!(": “{}”", c.trim()));
            }
            blocks.push(Block::Paragraph(line));
        }
    }
    let mut fields = vec![
        Field {
            label: "Reason".into(),
            value: v.reason.label().into(),
        },
        Field {
            label: "Status".into(),
            value: v.state_label().into(),
        },
    ];
    if let Some(rfi) = &v.rfi_code {
        fields.push(Field {
            label: "RFI".into(),
            value: rfi.clone(),
        });
    }
    if let Some(total) = v.total_minor {
        fields.push(Field {
            label: "Total".into(),
            value: amount(total, cur),
        });
    }
    Document {
        letterhead: letterhead(&d.company, d.logo.clone()),
        title: "Variation".into(),
        number: v.code.clone(),
        date: date.to_owned(),
        fields,
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
        footer: match &d.company.tax_number {
            Some(tax) => format!("{} · Tax no. {tax}", d.company.name),
            None => d.company.name.clone(),
        },
    }
}
