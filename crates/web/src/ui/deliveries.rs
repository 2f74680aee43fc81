//! The project's Deliveries tab: the delivery notes (filtered by state), planning one from
//! what the workshop packed ("packed, not yet dispatched" per item), a note's page (its
//! lines, receipts with photos and signatures, dispatch, cancel, the PDF), and the receiving
//! page for the phone: per line the quantity received now (prefilled with what is still to
//! come), the day, the receiver's typed name as the signature, photos straight from the
//! camera, and a fresh idempotency key so a form sent twice (or resent after a dropped
//! connection) records once.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::deliveries::{
    DeliveryLineInput, DeliveryNoteInput, DeliveryNotePage, DeliveryReceiptInput,
    DeliveryReceiptLineInput,
};
use formula_domain::delivery::{DeliveryLine, DeliveryStatus, DeliverySummary, PackedItem};
use formula_domain::errors::FieldErrors;
use formula_domain::location::LocationKind;
use formula_domain::scope::Quantity;
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, Id, sent_line};
use crate::ui::layout::{Flash, Layout, Page, Section};
use crate::ui::projects::ProjectHeader;
use crate::ui::receiving::{ReceiveForm, Sent, quantity_field};
use crate::ui::review;
use crate::ui::{render, see_other};

pub fn routes() -> axum::Router<AppState> {
    use axum::extract::DefaultBodyLimit;
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/projects/{id}/deliveries", get(list).post(create))
        .route("/delivery-notes/{id}", get(show))
        .route("/delivery-notes/{id}/edit", get(edit).post(update))
        .route("/delivery-notes/{id}/dispatch", post(dispatch))
        .route("/delivery-notes/{id}/cancel", post(cancel))
        .route("/delivery-notes/{id}/pdf", get(pdf))
        .route("/delivery-notes/{id}/receive", get(receive))
        .route(
            "/delivery-notes/{id}/receipts",
            post(record).layer(DefaultBodyLimit::disable()),
        )
}

/// A choice in a select.
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// One item offered on the note form.
pub struct ItemRow {
    pub item: PackedItem,
    pub quantity: String,
    pub error: Option<String>,
}

/// The plan / edit form.
pub struct NoteForm {
    pub action: String,
    pub version: Option<i64>,
    pub destinations: Vec<Choice>,
    pub values: FormData,
    pub items: Vec<ItemRow>,
    pub errors: FieldErrors,
}

impl NoteForm {
    pub fn value(&self, name: &str) -> String {
        self.values.text(name)
    }
    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors.get(name)
    }
}

// ---- The list and the plan form ----

#[derive(Template)]
#[template(path = "deliveries/list.html", whitespace = "minimize")]
struct ListPage {
    layout: Layout,
    head: ProjectHeader,
    notes: Vec<DeliverySummary>,
    statuses: Vec<Choice>,
    status: String,
    form: Option<NoteForm>,
}

async fn destinations(
    state: &AppState,
    page: &Page,
    project_id: Uuid,
) -> Result<Vec<Choice>, PageError> {
    let locs = match state
        .services
        .project_locations(&page.caller, project_id)
        .await
    {
        Ok((l, _)) => l.locations,
        Err(AppError::Forbidden) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    Ok(locs
        .into_iter()
        .filter(|l| {
            matches!(
                l.kind,
                LocationKind::Building | LocationKind::Level | LocationKind::Zone
            )
        })
        .map(|l| Choice {
            value: l.id.to_string(),
            label: format!("{} {}", l.code, l.name),
        })
        .collect())
}

/// The form's item rows: the packed items (and, editing, those already on the note), each
/// with what was sent or what the note holds.
fn item_rows(
    packed: Vec<PackedItem>,
    on_note: &[DeliveryLine],
    values: &FormData,
    errors: &FieldErrors,
    fresh: bool,
) -> Vec<ItemRow> {
    let mut items = packed;
    for l in on_note {
        if !items.iter().any(|i| i.scope_item_id == l.scope_item_id) {
            items.push(PackedItem {
                scope_item_id: l.scope_item_id,
                code: l.item_code.clone(),
                name: l.item_name.clone(),
                unit: l.unit.clone(),
                place: l.place.clone(),
                packed: Quantity(0),
                dispatched: Quantity(0),
                available: Quantity(0),
            });
        }
    }
    items
        .into_iter()
        .map(|item| {
            let key = format!("q-{}", item.scope_item_id);
            let quantity = if fresh {
                on_note
                    .iter()
                    .find(|l| l.scope_item_id == item.scope_item_id)
                    .map(|l| l.quantity.to_string())
                    .unwrap_or_default()
            } else {
                values.text(&key)
            };
            ItemRow {
                error: errors.get(&key).map(str::to_owned),
                quantity,
                item,
            }
        })
        .collect()
}

async fn list_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    query: FormData,
    sent: Option<(FormData, FieldErrors)>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let mut errors = FieldErrors::new();
    let status: Option<DeliveryStatus> = query.choice("status", &mut errors);
    let (project, access) = s.project_for(&page.caller, id).await?;
    let notes = s.list_delivery_notes(&page.caller, id, status).await?;
    let failed = sent.is_some();
    let form = if s.may_manage_deliveries(&page.caller, access) {
        let (values, errors) = sent.unwrap_or_else(|| {
            let mut v = FormData::default();
            v.set("address", project.location.clone().unwrap_or_default());
            (v, FieldErrors::new())
        });
        let packed = s.packed_items(&page.caller, id).await?;
        Some(NoteForm {
            action: format!("/projects/{id}/deliveries"),
            version: None,
            destinations: destinations(state, page, id).await?,
            items: item_rows(packed, &[], &values, &errors, !failed),
            values,
            errors,
        })
    } else {
        None
    };
    let view = ListPage {
        layout: page.layout(Section::Projects, format!("Deliveries · {}", project.code)),
        head: ProjectHeader::new(project, access, page, state, "deliveries"),
        notes,
        statuses: DeliveryStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().into(),
                label: s.label().into(),
            })
            .collect(),
        status: status.map(|s| s.as_str().to_owned()).unwrap_or_default(),
        form,
    };
    let code = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(code, &view)
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    list_page(
        &state,
        &page,
        id,
        FormData::from_query(query.as_deref()),
        None,
    )
    .await
}

/// The note input from the form: the details, and a line per item with a quantity (blank
/// or 0: not on the note). `keys` maps each line back to its item's field.
fn note_input(values: &FormData, errors: &mut FieldErrors) -> (DeliveryNoteInput, Vec<String>) {
    let mut lines = Vec::new();
    let mut keys = Vec::new();
    for (k, v) in &values.0 {
        let Some(item) = k.strip_prefix("q-") else {
            continue;
        };
        if v.trim().is_empty() {
            continue;
        }
        let Ok(item_id) = Uuid::parse_str(item) else {
            continue;
        };
        match Quantity::parse(v) {
            Ok(q) if q.0 == 0 => {}
            Ok(q) => {
                lines.push(DeliveryLineInput {
                    scope_item_id: item_id,
                    quantity: q,
                    note: None,
                });
                keys.push(k.clone());
            }
            Err(m) => errors.add(k, m),
        }
    }
    let input = DeliveryNoteInput {
        destination_id: values.uuid("destination_id", errors),
        address: values.opt("address"),
        planned_on: values.date("planned_on", errors),
        vehicle: values.opt("vehicle"),
        driver: values.opt("driver"),
        notes: values.opt("notes"),
        lines,
        version: None,
    };
    (input, keys)
}

/// A refusal of the use case as the form's errors: `lines[i]…` on the i-th item's field.
fn form_errors(e: AppError, keys: &[String]) -> Result<FieldErrors, PageError> {
    let fields = match e {
        AppError::Validation(f) => f,
        AppError::Conflict {
            message, fields, ..
        } => {
            let mut f = fields;
            if f.is_empty() {
                f.add("lines", message);
            }
            f
        }
        other => return Err(other.into()),
    };
    let mut out = FieldErrors::new();
    for f in fields.0 {
        let field = match sent_line(&f.field, keys) {
            Some((key, _)) => key.clone(),
            None => f.field,
        };
        out.add(&field, f.message);
    }
    Ok(out)
}

/// Plans a note from the form.
pub async fn create(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(values): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let (input, keys) = note_input(&values, &mut errors);
    if input.lines.is_empty() && errors.is_empty() {
        errors.add("lines", "enter a quantity for at least one item");
    }
    if !errors.is_empty() {
        return list_page(
            &state,
            &page,
            id,
            FormData::default(),
            Some((values, errors)),
        )
        .await;
    }
    match state
        .services
        .create_delivery_note(&page.caller, id, input)
        .await
    {
        Ok(note) => Ok(see_other(
            false,
            &format!("/delivery-notes/{}?m=dn_created", note.id),
        )),
        Err(e) => {
            let errors = form_errors(e, &keys)?;
            list_page(
                &state,
                &page,
                id,
                FormData::default(),
                Some((values, errors)),
            )
            .await
        }
    }
}

// ---- A note ----

#[derive(Template)]
#[template(path = "deliveries/show.html", whitespace = "minimize")]
struct ShowPage {
    layout: Layout,
    d: DeliveryNotePage,
}

async fn show_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    flash: Option<Flash>,
) -> Result<Response, PageError> {
    let d = state.services.delivery_note_page(&page.caller, id).await?;
    let status = if flash.is_some() {
        StatusCode::CONFLICT
    } else {
        StatusCode::OK
    };
    let view = ShowPage {
        layout: page.layout_with(Section::Projects, d.note.code.clone(), flash),
        d,
    };
    render(status, &view)
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    show_page(&state, &page, id, None).await
}

pub async fn pdf(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    Ok(crate::delivery_documents::pdf(&state, &page.caller, id).await?)
}

async fn refused(
    state: &AppState,
    page: &Page,
    id: Uuid,
    e: AppError,
) -> Result<Response, PageError> {
    let flash = review::refusal(
        e,
        &format!("/delivery-notes/{id}"),
        "changed this delivery note first; the page now shows their version.",
    )?;
    show_page(state, page, id, Some(flash)).await
}

pub async fn dispatch(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match state
        .services
        .dispatch_delivery_note(&page.caller, id, version)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/delivery-notes/{id}?m=dn_dispatched"),
        )),
        Err(e) => refused(&state, &page, id, e).await,
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    match state
        .services
        .cancel_delivery_note(&page.caller, id, version, input.opt("reason"))
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/delivery-notes/{id}?m=dn_cancelled"),
        )),
        Err(e) => refused(&state, &page, id, e).await,
    }
}

// ---- Editing a planned note ----

#[derive(Template)]
#[template(path = "deliveries/edit.html", whitespace = "minimize")]
struct EditPage {
    layout: Layout,
    d: DeliveryNotePage,
    form: NoteForm,
}

async fn edit_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    sent: Option<(FormData, FieldErrors)>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let d = s.delivery_note_page(&page.caller, id).await?;
    if !d.abilities.edit {
        return show_page(
            state,
            page,
            id,
            Some(Flash::error(format!(
                "{} is {}: only a planned note is edited.",
                d.note.code,
                d.note.status.label().to_lowercase()
            ))),
        )
        .await;
    }
    let failed = sent.is_some();
    let (values, errors) = sent.unwrap_or_else(|| {
        let n = &d.note;
        let mut v = FormData::default();
        v.set(
            "destination_id",
            n.destination_id.map(|i| i.to_string()).unwrap_or_default(),
        );
        v.set("address", n.address.clone().unwrap_or_default());
        v.set(
            "planned_on",
            n.planned_on.map(|d| d.to_string()).unwrap_or_default(),
        );
        v.set("vehicle", n.vehicle.clone().unwrap_or_default());
        v.set("driver", n.driver.clone().unwrap_or_default());
        v.set("notes", n.notes.clone().unwrap_or_default());
        (v, FieldErrors::new())
    });
    let packed = s.packed_items(&page.caller, d.note.project_id).await?;
    let form = NoteForm {
        action: format!("/delivery-notes/{id}/edit"),
        version: Some(d.note.version),
        destinations: destinations(state, page, d.note.project_id).await?,
        items: item_rows(packed, &d.note.lines, &values, &errors, !failed),
        values,
        errors,
    };
    let view = EditPage {
        layout: page.layout(Section::Projects, format!("Edit {}", d.note.code)),
        d,
        form,
    };
    render(
        if failed {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::OK
        },
        &view,
    )
}

pub async fn edit(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    edit_page(&state, &page, id, None).await
}

pub async fn update(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(values): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let mut errors = FieldErrors::new();
    let version = values.version(&mut errors);
    let (input, keys) = note_input(&values, &mut errors);
    if !errors.is_empty() {
        return edit_page(&state, &page, id, Some((values, errors))).await;
    }
    match state
        .services
        .update_delivery_note(&page.caller, id, version, input)
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/delivery-notes/{id}?m=dn_saved"),
        )),
        Err(e @ AppError::Stale { .. }) => refused(&state, &page, id, e).await,
        Err(e) => {
            let errors = form_errors(e, &keys)?;
            edit_page(&state, &page, id, Some((values, errors))).await
        }
    }
}

// ---- Receiving on site (phone first) ----

/// One line of the receiving form.
pub struct ReceiveLine {
    pub line: DeliveryLine,
    pub quantity: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "deliveries/receive.html", whitespace = "minimize")]
struct ReceivePage {
    layout: Layout,
    d: DeliveryNotePage,
    lines: Vec<ReceiveLine>,
    today: String,
    form_key: Uuid,
    received_on: String,
    signed_name: String,
    note: String,
    errors: FieldErrors,
    notice: Option<String>,
}

impl ReceivePage {
    fn error(&self, name: &str) -> Option<&str> {
        self.errors.get(name)
    }
}

async fn receive_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    sent: Option<Sent>,
) -> Result<Response, PageError> {
    let d = state.services.delivery_note_page(&page.caller, id).await?;
    let today = state.services.today().to_string();
    let (status, sent) = Sent::shown(sent);
    let lines = d
        .note
        .lines
        .iter()
        .map(|l| ReceiveLine {
            quantity: sent.quantity(l.id, l.remaining),
            error: sent.error(&quantity_field(l.id)),
            line: l.clone(),
        })
        .collect();
    let view = ReceivePage {
        layout: page.layout(Section::Projects, format!("Receive {}", d.note.code)),
        lines,
        received_on: if sent.fresh() {
            today.clone()
        } else {
            sent.values.text("received_on")
        },
        signed_name: sent.values.text("signed_name"),
        note: sent.values.text("note"),
        today,
        form_key: formula_domain::new_id(),
        errors: sent.errors,
        notice: sent.notice,
        d,
    };
    render(status, &view)
}

/// `GET /delivery-notes/{id}/receive`.
pub async fn receive(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    receive_page(&state, &page, id, None).await
}

/// Records a receipt from the phone form (multipart, for the photos; the CSRF token is
/// checked here). Refused, the page comes back with what was sent and the reasons beside the
/// fields.
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
    let note = s.get_delivery_note(&page.caller, id).await?;
    let lines = form.lines(note.lines.iter().map(|l| l.id), &mut errors);
    if !errors.is_empty() {
        let sent = Sent::invalid(form.values, errors);
        return receive_page(&state, &page, id, Some(sent)).await;
    }
    let sent_ids: Vec<Uuid> = lines.iter().map(|(line_id, _)| *line_id).collect();
    let input = DeliveryReceiptInput {
        received_on,
        signed_name: form.values.text("signed_name"),
        note: form.values.opt("note"),
        lines: lines
            .into_iter()
            .map(|(line_id, quantity)| DeliveryReceiptLineInput { line_id, quantity })
            .collect(),
    };
    match s
        .record_delivery_receipt(
            &page.caller,
            id,
            input,
            &form.photos,
            form.key.as_ref(),
            Some(crate::delivery_documents::render_delivery_note),
        )
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/delivery-notes/{id}?m=dn_received"),
        )),
        Err(e) => {
            // `lines[i]`, `lines[i].line_id` and `lines[i].quantity` name the i-th line sent.
            let sent = Sent::refused(
                form.values,
                e,
                &sent_ids,
                &["received_on", "signed_name", "note", "photo"],
                |line_id, _| quantity_field(line_id),
            )?;
            receive_page(&state, &page, id, Some(sent)).await
        }
    }
}
