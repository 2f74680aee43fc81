//! The receiving page, for whoever takes a delivery on site (phone first): the order's lines
//! with what is ordered, received and left (late lines flagged), a quantity per line
//! prefilled with what is left, an over-delivery checkbox with its reason, the day, the
//! delivery note, who received it, a note, photos straight from the camera, and a fresh
//! idempotency key so a form sent twice records once. Then the order's receipts. No price
//! appears here: a craftsman receives.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::goods_receipts::{ReceiptInput, ReceiptLineInput, Receiving};
use formula_domain::errors::FieldErrors;
use formula_domain::goods_receipt::ReceivingLine;
use formula_domain::scope::Quantity;
use uuid::Uuid;

use crate::csrf::same;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, Id};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::{render, see_other};
use crate::uploads;

/// One line of the form, with what was sent and why it was refused.
pub struct LineForm {
    pub line: ReceivingLine,
    pub quantity: String,
    pub over: bool,
    pub reason: String,
    pub error: Option<String>,
    pub reason_error: Option<String>,
}

/// What the form holds: each line's values, the receipt's fields and their errors.
#[derive(Default)]
struct Sent {
    values: FormData,
    errors: FieldErrors,
    notice: Option<String>,
}

#[derive(Template)]
#[template(path = "goods_receipts/receive.html", whitespace = "minimize")]
struct ReceivePage {
    layout: Layout,
    r: Receiving,
    lines: Vec<LineForm>,
    today: String,
    form_key: Uuid,
    received_on: String,
    delivery_note: String,
    received_by_name: String,
    note: String,
    errors: FieldErrors,
    notice: Option<String>,
    flash: Option<&'static str>,
}

impl ReceivePage {
    fn error(&self, name: &str) -> Option<&str> {
        self.errors
            .0
            .iter()
            .find(|e| e.field == name)
            .map(|e| e.message.as_str())
    }
}

fn receipt_fields(values: &FormData) -> [String; 4] {
    ["received_on", "delivery_note", "received_by_name", "note"].map(|n| values.text(n))
}

async fn receive_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    sent: Option<Sent>,
    flash: Option<&'static str>,
) -> Result<Response, PageError> {
    let r = state.services.receiving(&page.caller, id).await?;
    let today = state.services.today().to_string();
    let status = if sent.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let sent = sent.unwrap_or_default();
    let fresh = sent.values.0.is_empty();
    let lines = r
        .order
        .lines
        .iter()
        .map(|l| {
            let key = l.id.to_string();
            let err = |name: String| {
                sent.errors
                    .0
                    .iter()
                    .find(|e| e.field == name)
                    .map(|e| e.message.clone())
            };
            LineForm {
                quantity: if fresh {
                    l.remaining.to_string()
                } else {
                    sent.values.text(&format!("q-{key}"))
                },
                over: !fresh && !sent.values.text(&format!("over-{key}")).is_empty(),
                reason: sent.values.text(&format!("reason-{key}")),
                error: err(format!("q-{key}")),
                reason_error: err(format!("reason-{key}")),
                line: l.clone(),
            }
        })
        .collect();
    let [received_on, delivery_note, received_by_name, note] = receipt_fields(&sent.values);
    let view = ReceivePage {
        layout: page.layout(Section::Projects, format!("Receive {}", r.order.number)),
        lines,
        received_on: if fresh { today.clone() } else { received_on },
        delivery_note,
        received_by_name: if fresh {
            page.user.name.clone()
        } else {
            received_by_name
        },
        note,
        today,
        form_key: formula_domain::new_id(),
        errors: sent.errors,
        notice: sent.notice,
        flash,
        r,
    };
    render(status, &view)
}

/// `GET /purchase-orders/{id}/receive`.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let q = FormData::from_query(query.as_deref());
    let flash = (q.raw("m") == "received").then_some("Receipt recorded.");
    receive_page(&state, &page, id, None, flash).await
}

/// Records a receipt from the page's form (multipart, for the photos; the CSRF token is
/// checked here). Refused, the page comes back with what was sent and the reasons beside
/// the fields.
pub async fn record(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    multipart: Multipart,
) -> Result<Response, PageError> {
    let s = &state.services;
    let spooled =
        uploads::spool_multipart(multipart, &s.blobs.spool_dir(), state.web.max_upload_bytes).await;
    let form = match spooled {
        Ok(f) => f,
        Err(e) => return Err(PageError::App(AppError::field("photo", e.message()))),
    };
    if !form.field("_csrf").is_some_and(|t| same(t, &page.csrf)) {
        return Err(PageError::csrf());
    }
    let values = FormData(form.fields.clone());
    let mut errors = FieldErrors::new();
    let received_on = values.date("received_on", &mut errors);
    // Lines with a quantity (blank or 0: not in this delivery), in the order's order; `keys`
    // maps each input line back to its form fields.
    let order = s.receiving(&page.caller, id).await?;
    let mut lines = Vec::new();
    let mut keys = Vec::new();
    for l in &order.order.lines {
        let key = l.id.to_string();
        let raw = values.text(&format!("q-{key}"));
        if raw.trim().is_empty() {
            continue;
        }
        match Quantity::parse(&raw) {
            Ok(q) if q.0 == 0 => continue,
            Ok(q) => {
                lines.push(ReceiptLineInput {
                    line_id: l.id,
                    quantity: q,
                    accept_over_delivery: !values.text(&format!("over-{key}")).is_empty(),
                    over_delivery_reason: values.opt(&format!("reason-{key}")),
                });
                keys.push(key);
            }
            Err(m) => errors.add(&format!("q-{key}"), m),
        }
    }
    if lines.is_empty() && errors.is_empty() {
        errors.add("lines", "enter the quantity received of at least one line");
    }
    let sent = |errors: FieldErrors, notice: Option<String>| Sent {
        values: values.clone(),
        errors,
        notice,
    };
    if !errors.is_empty() {
        let notice = errors
            .0
            .iter()
            .find(|e| e.field == "lines")
            .map(|e| e.message.clone());
        return receive_page(&state, &page, id, Some(sent(errors, notice)), None).await;
    }
    let input = ReceiptInput {
        received_on,
        delivery_note: values.opt("delivery_note"),
        received_by_name: values
            .opt("received_by_name")
            .filter(|n| *n != page.user.name),
        note: values.opt("note"),
        lines,
    };
    let photos: Vec<formula_app::drawings::Upload> =
        form.files.iter().map(|f| f.0.clone()).collect();
    let key = formula_app::idempotency::IdempotencyKey::from_raw(form.field("idempotency_key"));
    match s
        .record_receipt(&page.caller, id, input, &photos, key.as_ref())
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/purchase-orders/{id}/receive?m=received"),
        )),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            let (fields, notice) = match e {
                AppError::Validation(f) => (f, None),
                AppError::Conflict {
                    message, fields, ..
                } => (fields, Some(message)),
                _ => (FieldErrors::new(), None),
            };
            // `lines[i]` and `lines[i].over_delivery_reason` name the i-th line sent.
            let mut mapped = FieldErrors::new();
            let mut notice = notice;
            for f in fields.0 {
                let field = f
                    .field
                    .strip_prefix("lines[")
                    .and_then(|rest| rest.split_once(']'))
                    .and_then(|(i, tail)| {
                        let key = keys.get(i.parse::<usize>().ok()?)?;
                        Some(if tail.is_empty() {
                            format!("q-{key}")
                        } else {
                            format!("reason-{key}")
                        })
                    })
                    .unwrap_or(f.field.clone());
                if [
                    "received_on",
                    "delivery_note",
                    "received_by_name",
                    "note",
                    "photo",
                ]
                .contains(&field.as_str())
                    || field.starts_with("q-")
                    || field.starts_with("reason-")
                {
                    mapped.add(&field, f.message);
                } else {
                    notice.get_or_insert(f.message);
                }
            }
            receive_page(&state, &page, id, Some(sent(mapped, notice)), None).await
        }
        Err(e) => Err(e.into()),
    }
}
