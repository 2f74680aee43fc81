//! The Commercial tab's summary of a project, and the portfolio table across projects.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use formula_app::commercial::Portfolio;
use formula_domain::commercial::CommercialSummary;
use formula_domain::money::format_amount;

use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::Id;
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::render;

use std::borrow::Borrow;

/// An amount of `currency`, or an em dash when there is none.
pub fn maybe(minor: impl Borrow<Option<i64>>, currency: &str) -> String {
    (*minor.borrow()).map_or_else(|| "—".to_owned(), |m| format_amount(m, currency))
}

/// An amount of `currency`.
pub fn amount(minor: impl Borrow<i64>, currency: &str) -> String {
    format_amount(*minor.borrow(), currency)
}

/// A change in value, signed: `+12,000.00`, `−3,500.00`, `0.00`.
pub fn signed(minor: impl Borrow<i64>, currency: &str) -> String {
    let minor = *minor.borrow();
    let text = format_amount(minor.saturating_abs(), currency);
    match minor.signum() {
        1 => format!("+{text}"),
        -1 => format!("−{text}"),
        _ => text,
    }
}

#[derive(Template)]
#[template(path = "commercial/summary.html", whitespace = "minimize")]
struct SummaryPage {
    layout: Layout,
    head: ProjectHeader,
    section: &'static str,
    s: CommercialSummary,
}

/// `GET /projects/{id}/commercial`: the project's commercial summary.
pub async fn summary(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    let (s, project, access) = state.services.commercial_summary(&page.caller, id).await?;
    let view = SummaryPage {
        layout: page.layout(Section::Projects, format!("Commercial · {}", project.code)),
        head: ProjectHeader::new(project, access, &page, &state, "commercial"),
        section: "summary",
        s,
    };
    render(axum::http::StatusCode::OK, &view)
}

#[derive(Template)]
#[template(path = "commercial/portfolio.html", whitespace = "minimize")]
struct PortfolioPage {
    layout: Layout,
    p: Portfolio,
}

/// `GET /portfolio`: every project's commercial figures, with totals per currency.
pub async fn portfolio(State(state): State<AppState>, page: Page) -> Result<Response, PageError> {
    let p = state.services.portfolio(&page.caller).await?;
    let view = PortfolioPage {
        layout: page.layout(Section::Portfolio, "Portfolio"),
        p,
    };
    render(axum::http::StatusCode::OK, &view)
}
