//! The review workflow on the pages of every reviewable kind (drawing revisions, material
//! specifications): the card for the step the caller may take (submit, or decide), a posted
//! decision read and handed to the use case, the message when a step is refused, the
//! decisions so far, and who reviews a project. The markup is `templates/_review.html`.

use std::future::Future;
use std::str::FromStr;

use axum::extract::State;
use axum::response::Response;
use formula_app::context::Caller;
use formula_app::ports::ReviewSettings;
use formula_app::{AppError, AppResult};
use formula_domain::errors::FieldErrors;
use formula_domain::review::{self, ReviewState, Reviewable, StatusWord};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::csrf::CsrfForm;
use crate::error::PageError;
use crate::state::AppState;
use crate::ui::forms::{FormData, FormState, Id, Opt};
use crate::ui::layout::{Flash, Page};
use crate::ui::see_other;

/// The fields of the decision form.
const FIELDS: &[&str] = &["decision", "comments"];

/// An empty decision form (its fields are prefixed `r-` on the page).
pub fn form() -> FormState {
    FormState::new(FIELDS).prefixed("r-")
}

/// The step a reviewable thing is ready for, if the caller may take it: submitting (a
/// draft, or what was sent back to be revised in place) or deciding (what was submitted).
pub fn ready<R: Reviewable>(item: &R, may_submit: bool, may_decide: bool) -> Option<Ready> {
    if may_submit && review::submit(item).is_ok() {
        Some(Ready::Submit)
    } else if may_decide && item.review_status().state() == ReviewState::Submitted {
        Some(Ready::Decide)
    } else {
        None
    }
}

/// See [`ready`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ready {
    Submit,
    Decide,
}

/// The step the caller may take now on the thing a page shows, as a card.
pub struct Step {
    /// Where its form posts: `{base}/submit` or `{base}/review`.
    pub base: String,
    pub version: i64,
    /// A hidden field the handler needs besides the thing's id (a revision's drawing).
    pub with: Option<(&'static str, Uuid)>,
    pub kind: StepKind,
}

/// Sending for review, or deciding.
pub enum StepKind {
    Submit {
        heading: String,
        button: String,
    },
    Decide {
        /// The heading's element id.
        id: &'static str,
        heading: String,
        /// What to look at before deciding (a revision's file): its address and name.
        open: Option<(String, String)>,
        /// When comments are needed.
        hint: &'static str,
        form: Box<FormState>,
        decisions: Vec<Opt>,
    },
}

/// The decisions taken so far, newest first.
pub struct History {
    pub heading: &'static str,
    pub entries: Vec<Entry>,
}

/// One decision as the history shows it.
pub struct Entry {
    pub decision: &'static str,
    /// What it was about, when the page shows several (`revision B`).
    pub on: Option<String>,
    pub by: Option<String>,
    pub at: OffsetDateTime,
    pub comments: Option<String>,
}

/// What became of a decision posted from a page.
pub enum Posted {
    /// Recorded: back to the page, which says so.
    Recorded,
    /// The form again, with what to fix beside its fields.
    Invalid(FormState),
    /// Refused for another reason (decided by someone else first, no longer submitted…):
    /// the page says why, see [`refusal`].
    Refused(AppError),
}

/// Reads a posted decision (`version`, `decision`, `comments`) and hands it to `decide`.
/// `reload` is the page's address, for the stale-page message.
pub async fn post<D, T, F, Fut>(
    input: &FormData,
    reload: &str,
    decide: F,
) -> Result<Posted, PageError>
where
    D: FromStr,
    F: FnOnce(i64, D, Option<String>) -> Fut,
    Fut: Future<Output = AppResult<T>>,
{
    let mut errors = FieldErrors::new();
    let version = input.version(&mut errors);
    let decision: Option<D> = input.required_choice("decision", &mut errors);
    let mut form = FormState::submitted(FIELDS, input.clone()).prefixed("r-");
    let Some(decision) = decision else {
        form.add_errors(errors, &[]);
        return Ok(Posted::Invalid(form));
    };
    match decide(version, decision, input.opt("comments")).await {
        Ok(_) => Ok(Posted::Recorded),
        Err(e @ AppError::Validation(_)) => {
            form.absorb(e, &[], reload)?;
            Ok(Posted::Invalid(form))
        }
        Err(e) => Ok(Posted::Refused(e)),
    }
}

/// The message a reviewable thing's page shows when a step on it could not be done;
/// `first` finishes the sentence that names who saved first.
pub fn refusal(error: AppError, reload: &str, first: &str) -> Result<Flash, PageError> {
    let mut form = FormState::new(&[]);
    form.absorb(error, &[], reload)?;
    let message = match (form.conflict, form.notice) {
        (Some(c), _) => format!("{} {first}", c.who),
        (None, Some(n)) => n,
        (None, None) => "That could not be done.".into(),
    };
    Ok(Flash::error(message))
}

/// Who reviews a project, as its project managers set it.
pub struct Reviewers {
    /// Client users may approve what is submitted to them.
    pub client_approvals: bool,
    /// Each team member, and whether they are a designated reviewer.
    pub people: Vec<(Opt, bool)>,
}

/// [`Reviewers`] of the project.
pub async fn reviewers(
    state: &AppState,
    caller: &Caller,
    project_id: Uuid,
) -> Result<Reviewers, PageError> {
    let s = &state.services;
    let settings = s.review_settings(caller, project_id).await?;
    let members = s.list_members(caller, project_id).await?;
    Ok(Reviewers {
        client_approvals: settings.client_approvals,
        people: members
            .into_iter()
            .map(|m| {
                let on = settings.reviewer_ids.contains(&m.user_id);
                (
                    Opt::new(
                        m.user_id.to_string(),
                        format!("{} ({})", m.name, m.project_role.label()),
                    ),
                    on,
                )
            })
            .collect(),
    })
}

/// Saves who reviews the project's drawings and specifications.
pub async fn save_reviewers(
    State(state): State<AppState>,
    page: Page,
    Id(id): Id,
    CsrfForm(input): CsrfForm<FormData>,
) -> Result<Response, PageError> {
    let settings = ReviewSettings {
        client_approvals: input.opt("client_approvals").is_some(),
        reviewer_ids: input
            .0
            .iter()
            .filter(|(k, _)| k == "reviewer_id")
            .filter_map(|(_, v)| Uuid::parse_str(v).ok())
            .collect(),
    };
    state
        .services
        .set_review_settings(&page.caller, id, settings)
        .await?;
    Ok(see_other(
        false,
        &format!("/projects/{id}/drawings?m=saved"),
    ))
}
