//! The receiving page, for whoever takes a delivery on site (phone first): the order's lines
//! with what is ordered, received and left (late lines flagged), a quantity per line
//! prefilled with what is left, an over-delivery checkbox with its reason, the day, the
//! delivery note, who received it, a note, photos straight from the camera, and a fresh
//! idempotency key so a form sent twice records once. Then the order's receipts. No price
//! appears here: a craftsman receives.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::Response;
use formula_app::goods_receipts::{ReceiptInput, ReceiptLineInput, Receiving};
use formula_domain::errors::FieldErrors;
use formula_domain::goods_receipt::ReceivingLine;
use uuid::Uuid;

use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, Id};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::receiving::{ReceiveForm, Sent, quantity_field};
use crate::ui::{render, see_other};

/// One line of the form, with what was sent and why it was refused.
pub struct LineForm {
    pub line: ReceivingLine,
    pub quantity: String,
    pub over: bool,
    pub reason: String,
    pub error: Option<String>,
    pub reason_error: Option<String>,
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
        self.errors.get(name)
    }
}

/// The receipt's own fields, where the use case's errors on them are shown.
const RECEIPT_FIELDS: [&str; 5] = [
    "received_on",
    "delivery_note",
    "received_by_name",
    "note",
    "photo",
];

/// The field of a line's "accept the over-delivery" checkbox.
fn over_field(line_id: Uuid) -> String {
    format!("over-{line_id}")
}

/// The field of a line's reason for accepting an over-delivery.
fn reason_field(line_id: Uuid) -> String {
    format!("reason-{line_id}")
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
    let (status, sent) = Sent::shown(sent);
    let fresh = sent.fresh();
    let lines = r
        .order
        .lines
        .iter()
        .map(|l| LineForm {
            quantity: sent.quantity(l.id, l.remaining),
            over: !fresh && !sent.values.text(&over_field(l.id)).is_empty(),
            reason: sent.values.text(&reason_field(l.id)),
            error: sent.error(&quantity_field(l.id)),
            reason_error: sent.error(&reason_field(l.id)),
            line: l.clone(),
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
    let form = ReceiveForm::read(&state, &page, multipart).await?;
    let mut errors = FieldErrors::new();
    let received_on = form.values.date("received_on", &mut errors);
    let order = s.receiving(&page.caller, id).await?;
    let lines = form.lines(order.order.lines.iter().map(|l| l.id), &mut errors);
    if !errors.is_empty() {
        let sent = Sent::invalid(form.values, errors);
        return receive_page(&state, &page, id, Some(sent), None).await;
    }
    let sent_ids: Vec<Uuid> = lines.iter().map(|(line_id, _)| *line_id).collect();
    let values = &form.values;
    let input = ReceiptInput {
        received_on,
        delivery_note: values.opt("delivery_note"),
        received_by_name: values
            .opt("received_by_name")
            .filter(|n| *n != page.user.name),
        note: values.opt("note"),
        lines: lines
            .into_iter()
            .map(|(line_id, quantity)| ReceiptLineInput {
                line_id,
                quantity,
                accept_over_delivery: !values.text(&over_field(line_id)).is_empty(),
                over_delivery_reason: values.opt(&reason_field(line_id)),
            })
            .collect(),
    };
    match s
        .record_receipt(&page.caller, id, input, &form.photos, form.key.as_ref())
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/purchase-orders/{id}/receive?m=received"),
        )),
        Err(e) => {
            // `lines[i]` and `lines[i].over_delivery_reason` name the i-th line sent.
            let sent = Sent::refused(
                form.values,
                e,
                &sent_ids,
                &RECEIPT_FIELDS,
                |line_id, rest| {
                    if rest.is_empty() {
                        quantity_field(line_id)
                    } else {
                        reason_field(line_id)
                    }
                },
            )?;
            receive_page(&state, &page, id, Some(sent), None).await
        }
    }
}
