//! The app shell every signed-in page shares: navigation, the signed-in user,
//! the CSRF token, a one-off flash message, and whether the request came from htmx.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use formula_app::context::Caller;
use formula_domain::authz::{Action, Resource, authorize};
use formula_domain::user::User;
use uuid::Uuid;

use crate::auth::PageCaller;
use crate::error::PageError;
use crate::state::AppState;

/// Which top-level section a page belongs to (marks the nav link with `aria-current`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Dashboard,
    MyWork,
    Projects,
    /// The company-wide workshop board.
    Workshop,
    /// The commercial figures across projects.
    Portfolio,
    Clients,
    /// The supplier directory.
    Suppliers,
    Users,
    Audit,
    Outbox,
    Jobs,
    System,
    Profile,
    /// The notifications inbox (reached by the bell).
    Inbox,
    /// No section: nothing in the navigation is marked (error pages).
    Elsewhere,
}

/// One link of the main navigation.
pub struct NavItem {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// A message shown once at the top of a page.
pub struct Flash {
    /// `success`, `error`, `warning` or `info` (maps to `.flash-<kind>`).
    pub kind: &'static str,
    pub message: String,
}

impl Flash {
    pub fn success(message: impl Into<String>) -> Self {
        Flash {
            kind: "success",
            message: message.into(),
        }
    }
    pub fn error(message: impl Into<String>) -> Self {
        Flash {
            kind: "error",
            message: message.into(),
        }
    }
    pub fn info(message: impl Into<String>) -> Self {
        Flash {
            kind: "info",
            message: message.into(),
        }
    }

    /// Messages after a redirect travel as `?m=<code>` from a fixed vocabulary,
    /// so a link can never put arbitrary text on a page.
    pub fn from_code(code: &str) -> Option<Flash> {
        let text = match code {
            "welcome" => "Welcome to Formula PM. Start by adding a client, then a project for it.",
            "signed_in" => "You are signed in.",
            "signed_out" => "You have signed out.",
            "created" => "Created.",
            "client_created" => {
                "The client was created. Add its contacts here, then its first project."
            }
            "project_created" => "The project was created. Add the team and its tasks next.",
            "user_created" => "The user was created. Tell them their initial password privately.",
            "client_deleted" => "The client was deleted.",
            "user_invited" => {
                "The user was created and invited by e-mail: the link, valid for 7 days, lets them choose their password."
            }
            "invited" => "A new invitation was e-mailed; any earlier link no longer works.",
            "invitation_accepted" => {
                "Welcome to Formula PM. Your password is set and you are signed in."
            }
            "project_deleted" => "The project was deleted, with everything in it.",
            "task_deleted" => "The task was deleted.",
            "saved" => "Your changes were saved.",
            "deleted" => "Deleted.",
            "status" => "The status was changed.",
            "reopened" => "The project was reopened; the reason is in the audit trail.",
            "member_added" => "The team was updated.",
            "member_removed" => "The team member was removed.",
            "contact_added" => "The contact was added.",
            "contact_removed" => "The contact was removed.",
            "task_created" => "The task was created.",
            "uploaded" => {
                "The revision was uploaded as a draft. Submit it for review when it is ready."
            }
            "submitted" => "The revision was submitted for review.",
            "spec_submitted" => "The specification was submitted for review.",
            "variation_created" => "The variation was created as a draft.",
            "variation_submitted" => "The variation was submitted to the client.",
            "variation_withdrawn" => "The variation was withdrawn.",
            "line_added" => "The line was added; the total follows.",
            "line_removed" => "The line was removed; the total follows.",
            "reviewed" => "The decision was recorded.",
            "released" => "The item was released to production.",
            "installed" => "The installation was recorded.",
            "reversed" => "The record was reversed; the history keeps both.",
            "imported" => "The spreadsheet was imported.",
            "groups_added" => "The default groups were added.",
            "import_unchanged" => "The spreadsheet matched what is here already; nothing changed.",
            "password_changed" => "Your password was changed. Your other sessions were signed out.",
            "password_reset" => "Your password was reset. Sign in with the new password.",
            "token_revoked" => "The API token was revoked; scripts using it can no longer sign in.",
            // Shown when the page is reloaded after the secret was shown (once).
            "token_created" => {
                "The API token was created. Its secret was shown only once: if it was not copied, revoke the token and create another."
            }
            "feed_revoked" => {
                "The calendar feed link was revoked; calendars subscribed to it stop updating."
            }
            "feed_created" => {
                "The calendar feed link was made. It was shown only once: if it was not copied, regenerate it."
            }
            "job_retried" => "The job is back in the queue; a worker runs it shortly.",
            // Purchase orders.
            "po_created" => {
                "The purchase order was raised as a draft. Check its lines, then approve it."
            }
            "po_approved" => "The purchase order was approved. Send it to the supplier next.",
            "po_sent" => "The purchase order was sent to the supplier with its PDF.",
            "po_cancelled" => "The purchase order was cancelled.",
            "po_closed" => "The purchase order was closed.",
            // Delivery notes.
            "dn_created" => "The delivery note was planned. Dispatch it once its goods are packed.",
            "dn_saved" => "The delivery note was saved.",
            "dn_dispatched" => "The delivery note was dispatched; the site team was told.",
            "dn_cancelled" => "The delivery note was cancelled.",
            "dn_received" => "The receipt was recorded and the note signed.",
            _ => return None,
        };
        Some(if code == "signed_out" {
            Flash::info(text)
        } else {
            Flash::success(text)
        })
    }
}

/// What the shell template (`base.html`) needs.
pub struct Layout {
    pub title: String,
    pub csrf: String,
    pub user_name: String,
    /// The page is the signed-in user's own profile (marks the name link).
    pub profile_current: bool,
    pub nav: Vec<NavItem>,
    pub flash: Option<Flash>,
    /// Unread notifications (the bell).
    pub unread: i64,
    /// The signed-in person (their bell listens for their own notifications).
    pub user_id: Uuid,
}

/// A signed-in page request: the caller, the shell data and the htmx flags.
pub struct Page {
    pub caller: Caller,
    pub user: User,
    pub session_id: Uuid,
    pub csrf: String,
    /// The request came from htmx and wants a fragment (not a boost or history restore).
    pub htmx: bool,
    /// The element id htmx will swap (`HX-Target`), if any.
    pub target: Option<String>,
    flash_code: Option<String>,
    /// Unread notifications, for the bell (not read for fragments, which have no bell).
    unread: i64,
}

impl FromRequestParts<AppState> for Page {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let pc = PageCaller::from_request_parts(parts, state).await?;
        let flash_code = parts.uri.query().and_then(|q| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(q)
                .ok()?
                .into_iter()
                .find(|(k, _)| k == "m")
                .map(|(_, v)| v)
        });
        let htmx = wants_fragment(&parts.headers);
        let unread = if htmx {
            0
        } else {
            state
                .services
                .unread_notifications(&pc.caller)
                .await
                .unwrap_or(0)
        };
        Ok(Page {
            unread,
            caller: pc.caller,
            user: pc.user,
            session_id: pc.session_id,
            csrf: pc.csrf,
            htmx,
            target: parts
                .headers
                .get("hx-target")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            flash_code,
        })
    }
}

/// True for htmx requests that swap part of a page (boosted requests and
/// history restores want the whole document).
pub fn wants_fragment(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
        && !headers.contains_key("hx-boosted")
        && !headers.contains_key("hx-history-restore-request")
}

impl Page {
    /// The `?m=` message code the page was asked to show, if any.
    pub fn flash_code(&self) -> Option<&str> {
        self.flash_code.as_deref()
    }

    /// Whether the caller may do a company-wide action (for showing links and buttons).
    pub fn can(&self, action: Action) -> bool {
        authorize(&self.caller.actor, action, &Resource::Global)
    }

    /// The shell for a page in `section`, with the flash from the query string if any.
    pub fn layout(&self, section: Section, title: impl Into<String>) -> Layout {
        let mut nav = vec![
            NavItem {
                href: "/",
                label: "Dashboard",
                current: section == Section::Dashboard,
            },
            NavItem {
                href: "/my-work",
                label: "My work",
                current: section == Section::MyWork,
            },
            NavItem {
                href: "/projects",
                label: "Projects",
                current: section == Section::Projects,
            },
        ];
        // The company-wide workshop board: for whoever may see a project's workshop (the
        // staff; `ViewWorkshop` is checked per project on the board).
        if self.caller.actor.role != formula_domain::user::Role::Client {
            nav.push(NavItem {
                href: "/workshop",
                label: "Workshop",
                current: section == Section::Workshop,
            });
        }
        if formula_domain::commercial::commercial_scope(&self.caller.actor)
            != formula_domain::authz::ProjectScope::None
        {
            nav.push(NavItem {
                href: "/portfolio",
                label: "Portfolio",
                current: section == Section::Portfolio,
            });
        }
        if self.can(Action::ListClients) {
            nav.push(NavItem {
                href: "/clients",
                label: "Clients",
                current: section == Section::Clients,
            });
        }
        if self.can(Action::ViewSuppliers) {
            nav.push(NavItem {
                href: "/suppliers",
                label: "Suppliers",
                current: section == Section::Suppliers,
            });
        }
        if self.can(Action::ManageUsers) {
            nav.push(NavItem {
                href: "/users",
                label: "Users",
                current: section == Section::Users,
            });
        }
        if self.can(Action::ViewAudit) {
            nav.push(NavItem {
                href: "/audit",
                label: "Audit",
                current: section == Section::Audit,
            });
        }
        if self.can(Action::ManageSystem) {
            nav.push(NavItem {
                href: "/jobs",
                label: "Jobs",
                current: section == Section::Jobs,
            });
        }
        if self.can(Action::ViewOutbox) {
            nav.push(NavItem {
                href: "/outbox",
                label: "Outbox",
                current: section == Section::Outbox,
            });
        }
        if self.can(Action::ViewSystemStatus) {
            nav.push(NavItem {
                href: "/system",
                label: "System",
                current: section == Section::System,
            });
        }
        Layout {
            title: title.into(),
            csrf: self.csrf.clone(),
            user_name: self.user.name.clone(),
            profile_current: section == Section::Profile,
            nav,
            flash: self.flash_code.as_deref().and_then(Flash::from_code),
            unread: self.unread,
            user_id: self.caller.actor.user_id,
        }
    }

    /// The shell with an explicit flash (e.g. an error that is not tied to a field).
    pub fn layout_with(
        &self,
        section: Section,
        title: impl Into<String>,
        flash: Option<Flash>,
    ) -> Layout {
        let mut layout = self.layout(section, title);
        if flash.is_some() {
            layout.flash = flash;
        }
        layout
    }
}
