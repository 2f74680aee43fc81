//! The room page, for the people on site (phone first): the room's items with how many are
//! installed, a big "Install" control per item (quantity defaulting to what is left, today,
//! the installer defaulting to the caller, a note, a photo straight from the camera, and a
//! fresh idempotency key so a form sent twice records once), and the room's latest records
//! with their photos and a reverse button.

use askama::Template;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use formula_app::AppError;
use formula_app::installations::{InstallationInput, Placed, ReverseInput, RoomItem, RoomSheet};
use formula_domain::errors::FieldErrors;
use formula_domain::scope::Quantity;
use uuid::Uuid;

use crate::csrf::{CsrfForm, same};
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id};
use crate::ui::layout::{Layout, Page, Section};
use crate::ui::{render, see_other};
use crate::uploads;

const FIELDS: &[&str] = &["quantity", "installed_on", "installer", "note", "file"];

/// One item on the page, with its install form.
pub struct ItemCard {
    pub item: RoomItem,
    pub form: FormState,
    /// The form is shown open (it was just sent and refused).
    pub open: bool,
    /// The form's idempotency key (new for every rendered form).
    pub form_key: Uuid,
    /// Whole percent installed, for the bar.
    pub percent: i64,
}

#[derive(Template)]
#[template(path = "installations/room.html", whitespace = "minimize")]
struct RoomPage {
    layout: Layout,
    sheet: RoomSheet,
    cards: Vec<ItemCard>,
    done: usize,
    today: String,
    /// A refusal of a reversal, shown above the history.
    history_notice: Option<String>,
    /// The caller may change the room itself (its code, name, type).
    can_manage_room: bool,
}

impl ItemCard {
    /// Placed elsewhere since it was installed here: only its records keep it on the page.
    pub fn elsewhere(&self) -> bool {
        self.item.placed == Placed::Elsewhere
    }
}

fn percent(installed: Quantity, required: Quantity) -> i64 {
    if required.0 <= 0 {
        return if installed.0 > 0 { 100 } else { 0 };
    }
    (installed.0.saturating_mul(100) / required.0).clamp(0, 100)
}

/// The room page; `refused` re-shows one item's form with what was sent and why it failed.
async fn room_page(
    state: &AppState,
    page: &Page,
    id: Uuid,
    refused: Option<(Uuid, FormState)>,
    history_notice: Option<String>,
) -> Result<Response, PageError> {
    let sheet = state.services.room_sheet(&page.caller, id).await?;
    let today = state.services.today().to_string();
    let mut status = StatusCode::OK;
    let mut refused = refused;
    let cards = sheet
        .items
        .iter()
        .map(|item| {
            let (form, open) = match refused.take_if(|(i, _)| *i == item.scope_item_id) {
                Some((_, form)) => {
                    status = form.status();
                    (form, true)
                }
                None => (
                    FormState::new(FIELDS)
                        .prefixed("i-")
                        .with("quantity", item.left_to_install.to_string())
                        .with("installed_on", today.as_str())
                        .with("installer", page.user.name.as_str()),
                    false,
                ),
            };
            ItemCard {
                percent: percent(item.installed, item.required),
                item: item.clone(),
                form,
                open,
                form_key: formula_domain::new_id(),
            }
        })
        .collect();
    if history_notice.is_some() {
        status = StatusCode::CONFLICT;
    }
    let done = sheet
        .items
        .iter()
        .filter(|i| i.required.0 > 0 && i.installed >= i.required)
        .count();
    let access = state
        .services
        .access_for(&page.caller, sheet.room.project_id)
        .await?;
    let view = RoomPage {
        can_manage_room: state.services.may_manage_locations(&page.caller, access),
        layout: page.layout(
            Section::Projects,
            format!("{} · {}", sheet.room.code, sheet.project_code),
        ),
        cards,
        done,
        today,
        history_notice,
        sheet,
    };
    render(status, &view)
}

/// `GET /rooms/{id}`.
pub async fn show(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
) -> Result<Response, PageError> {
    room_page(&state, &page, id, None, None).await
}

/// Records an installation from an item's form (a multipart form, for the photo; the CSRF
/// token is checked here). Refused, the page comes back with the form open and the reason
/// beside the field.
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
        Err(e) => {
            return Err(PageError::App(AppError::field("file", e.message())));
        }
    };
    if !form.field("_csrf").is_some_and(|t| same(t, &page.csrf)) {
        return Err(PageError::csrf());
    }
    let field = |name: &str| form.field(name).unwrap_or_default().to_owned();
    let Ok(item_id) = field("scope_item_id").parse::<Uuid>() else {
        return Err(PageError::bad_request(
            "The form does not say which item was installed.",
        ));
    };
    let values = FormData(
        ["quantity", "installed_on", "installer", "note"]
            .iter()
            .map(|n| ((*n).to_owned(), field(n)))
            .collect(),
    );
    let mut f = FormState::submitted(FIELDS, values.clone()).prefixed("i-");
    let mut errors = FieldErrors::new();
    let quantity = match Quantity::parse(&field("quantity")) {
        Ok(q) => Some(q),
        Err(m) => {
            errors.add("quantity", m);
            None
        }
    };
    let installed_on = values.date("installed_on", &mut errors);
    if form.files.len() > 1 {
        errors.add("file", "take or choose one photo");
    }
    let (Some(quantity), true) = (quantity, errors.is_empty()) else {
        f.add_errors(errors, &[]);
        return room_page(&state, &page, id, Some((item_id, f)), None).await;
    };
    let input = InstallationInput {
        scope_item_id: item_id,
        quantity,
        installed_on,
        installer: form.field("installer").map(str::to_owned),
        note: form.field("note").map(str::to_owned),
    };
    let key = formula_app::idempotency::IdempotencyKey::from_raw(form.field("idempotency_key"));
    match s
        .record_installation(
            &page.caller,
            id,
            input,
            form.file().map(|f| &f.0),
            key.as_ref(),
        )
        .await
    {
        // A form sent again lands where the first one did.
        Ok(_) => Ok(see_other(
            false,
            &format!("/rooms/{id}?m=installed#item-{item_id}"),
        )),
        Err(e @ (AppError::Validation(_) | AppError::Conflict { .. })) => {
            f.absorb(e, &[("photo", "file")], &format!("/rooms/{id}"))?;
            room_page(&state, &page, id, Some((item_id, f)), None).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Reverses a record from the room's history, then returns to the room.
pub async fn reverse(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let s = &state.services;
    let record = s.get_installation(&page.caller, id).await?;
    let room = record.room_id;
    match s
        .reverse_installation(
            &page.caller,
            id,
            ReverseInput {
                note: input.opt("note"),
            },
        )
        .await
    {
        Ok(_) => Ok(see_other(
            false,
            &format!("/rooms/{room}?m=reversed#history"),
        )),
        Err(AppError::Conflict { message, .. }) => {
            room_page(&state, &page, room, None, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_is_whole_percent_and_never_past_full() {
        assert_eq!(percent(Quantity::units(1), Quantity::units(3)), 33);
        assert_eq!(percent(Quantity::units(3), Quantity::units(3)), 100);
        assert_eq!(percent(Quantity::units(0), Quantity::units(0)), 0);
        assert_eq!(percent(Quantity::units(2), Quantity::units(0)), 100);
    }
}
