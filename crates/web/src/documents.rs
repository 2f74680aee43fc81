//! The documents the product prints, put together from the use cases' data for the PDF
//! module (`formula_reports::pdf`): the letterhead from the company settings, and each
//! document's own parts. Money and dates are formatted here, as on the pages.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use formula_app::AppError;
use formula_app::scope::ScopeOverview;
use formula_domain::company::CompanySettings;
use formula_domain::money::format_amount;
use formula_domain::project::Project;
use formula_domain::scope::ScopeStatus;
use formula_reports::pdf::{
    Align, Block, Cell, Column, Document, Field, Letterhead, Party, Row, RowKind, Table,
};
use time::Date;

use crate::ui::format;

/// The letterhead from the company settings (and the logo's bytes, if any).
pub fn letterhead(company: &CompanySettings, logo: Option<Vec<u8>>) -> Letterhead {
    Letterhead {
        company_name: company.name.clone(),
        address_lines: company.address_lines(),
        tax_number: company.tax_number.clone(),
        contact_lines: company.contact_lines(),
        logo,
    }
}

/// The small print at the foot of every page: the company's name and tax number.
fn footer(company: &CompanySettings) -> String {
    match &company.tax_number {
        Some(tax) => format!("{} · Tax no. {tax}", company.name),
        None => company.name.clone(),
    }
}

/// The priced scope of work (bill of quantities): every item that counts (cancelled ones
/// are left out, as from the totals), grouped, with group subtotals and the grand total.
pub fn scope(
    project: &Project,
    o: &ScopeOverview,
    company: &CompanySettings,
    logo: Option<Vec<u8>>,
    today: Date,
) -> Document {
    let cur = &o.currency;
    let columns = vec![
        Column::new("Code", 1.75, Align::Left),
        Column::new("Item", 3.2, Align::Left),
        Column::new("Qty", 0.95, Align::Right),
        Column::new("Unit", 0.7, Align::Left),
        Column::new(&format!("Rate ({cur})"), 1.35, Align::Right),
        Column::new(&format!("Amount ({cur})"), 1.95, Align::Right),
    ];
    let mut rows = Vec::new();
    for g in &o.groups {
        let items: Vec<_> = o
            .items_of(g.group.id)
            .filter(|i| i.status != ScopeStatus::Cancelled)
            .collect();
        if items.is_empty() {
            continue;
        }
        rows.push(Row::new(RowKind::Group, vec![g.group.name.clone().into()]));
        for i in items {
            let mut what = i.name.clone();
            if let Some(d) = i.description.as_deref().filter(|d| !d.trim().is_empty()) {
                what.push('\n');
                what.push_str(d.trim());
            }
            let amount = |m: Option<i64>| m.map_or_else(|| "—".into(), |m| format_amount(m, cur));
            rows.push(Row::new(
                RowKind::Normal,
                vec![
                    i.code.clone().into(),
                    what.into(),
                    i.quantity.to_string().into(),
                    i.unit.clone().into(),
                    amount(i.unit_price_minor).into(),
                    amount(i.total_minor).into(),
                ],
            ));
        }
        rows.push(Row::new(
            RowKind::Subtotal,
            vec![
                Cell::from(""),
                format!("Subtotal {}", g.group.name).into(),
                "".into(),
                "".into(),
                "".into(),
                format_amount(g.totals.total_minor, cur).into(),
            ],
        ));
    }
    rows.push(Row::new(
        RowKind::Total,
        vec![
            Cell::from(""),
            format!("Total ({cur})").into(),
            "".into(),
            "".into(),
            "".into(),
            format_amount(o.totals.total_minor, cur).into(),
        ],
    ));
    let mut project_lines = vec![project.name.clone(), format!("Project {}", project.code)];
    project_lines.extend(project.location.clone());
    if let Some(c) = &project.contract_number {
        project_lines.push(format!("Contract {c}"));
    }
    let mut blocks = vec![Block::Table(Table { columns, rows })];
    if o.items.iter().any(|i| i.status == ScopeStatus::Cancelled) {
        blocks.push(Block::Paragraph(
            "Cancelled items are not listed and not counted.".into(),
        ));
    }
    if let Some(terms) = company.document_terms.as_deref().filter(|t| !t.is_empty()) {
        blocks.push(Block::Heading("Terms".into()));
        blocks.push(Block::Paragraph(terms.to_owned()));
    }
    Document {
        letterhead: letterhead(company, logo),
        title: "Priced scope of work".into(),
        number: project.code.clone(),
        date: format::day(&today),
        fields: vec![
            Field {
                label: "Currency".into(),
                value: cur.clone(),
            },
            Field {
                label: "Items".into(),
                value: o.totals.items.to_string(),
            },
        ],
        parties: vec![
            Party {
                label: "Client".into(),
                lines: vec![project.client_name.clone()],
            },
            Party {
                label: "Project".into(),
                lines: project_lines,
            },
        ],
        blocks,
        footer: footer(company),
    }
}

/// A PDF as a download named `<name>.pdf` (`name` made of a code and fixed words).
pub fn download(bytes: Vec<u8>, name: &str) -> Response {
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(formula_reports::pdf::PDF_MIME),
    );
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{safe}.pdf\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The scope PDF of a project as a download (the API and the Scope page's export menu):
/// readable by whoever may read the scope's prices, never by client users.
pub async fn scope_pdf(
    state: &crate::state::AppState,
    caller: &formula_app::context::Caller,
    id: uuid::Uuid,
) -> Result<Response, AppError> {
    let s = &state.services;
    let (project, _, overview) = s.scope_overview(caller, id).await?;
    let company = s.company_settings(caller).await?;
    let logo = s.logo_bytes(&company).await?.map(|(bytes, _)| bytes);
    let doc = scope(&project, &overview, &company, logo, s.today());
    let bytes = render(doc).await?;
    Ok(download(bytes, &format!("{}-scope", project.code)))
}

/// Lays out and writes a document off the async workers (a long one takes a while). The
/// pictures in it were checked when they were uploaded, so a failure here is ours.
pub async fn render(doc: Document) -> Result<Vec<u8>, AppError> {
    tokio::task::spawn_blocking(move || formula_reports::pdf::render(&doc))
        .await
        .map_err(|e| AppError::Internal(format!("the PDF task failed: {e}")))?
        .map_err(|e| AppError::Internal(format!("the PDF could not be made: {e}")))
}
