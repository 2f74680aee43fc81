//! The calendar of a project and of a person's own work, and its iCal feeds.
//!
//! Entries are gathered through the same use cases as each kind's own list (tasks, RFIs,
//! delivery notes, purchase orders, specifications), so the calendar shows exactly what
//! those lists show the caller, and nothing else: a client user sees tasks of their
//! projects, RFIs addressed or shared to them and specifications once submitted, never
//! delivery notes or purchase orders. Reviews have no due date, so they are not entries.
//!
//! A feed link is a secret URL whose SHA-256 alone is stored. It opens that one feed and
//! nothing else; each fetch is evaluated with the owner's rights at that moment.

use formula_domain::authz::{Action, ProjectScope, Resource, project_scope};
use formula_domain::calendar::{
    self, CalendarEntry, EntryKind, FEED_DAYS_AHEAD, FEED_DAYS_BACK, IcalHead,
};
use formula_domain::delivery::DeliveryStatus;
use formula_domain::purchase_order::PoStatus;
use formula_domain::rfi::RfiStatus;
use formula_domain::spec::{Procurement, SpecStatus};
use formula_domain::task::Task;
use formula_domain::user::Role;
use time::{Date, Duration};
use uuid::Uuid;

use crate::accounts::actor_for;
use crate::context::{Caller, RequestCtx};
use crate::error::{AppError, AppResult};
use crate::query::{Paging, ProjectQuery, TaskQuery};
use crate::repos::{CalendarFeed, PoFilter, RfiFilter};
use crate::secrets::{new_token, token_hash};
use crate::services::{Services, audit, ensure};
use crate::specs::SpecQuery;

/// Prefix of calendar feed tokens, so a leaked link is recognisable.
pub const FEED_TOKEN_PREFIX: &str = "fpc_";
/// Most entries of one kind in one period (a busy month has far fewer).
pub const CALENDAR_MAX: u32 = 500;
/// The week view shows a task's run from its start date; tasks due up to this many days
/// after the week are read for that.
const SPAN_DAYS: i64 = 92;
/// Most projects the personal calendar looks through for RFIs and deliveries.
const MY_PROJECTS_MAX: u32 = 200;

/// A newly made feed link; `url` (holding the secret) is shown once and never stored.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CreatedFeed {
    pub feed: CalendarFeed,
    /// The link to subscribe to: `{PUBLIC_URL}/ical/{token}.ics`.
    pub url: String,
}

/// What a feed fetch answers: the calendar's name and the iCalendar text.
pub struct FeedDocument {
    pub name: String,
    pub body: String,
}

fn task_entry(t: Task) -> Option<CalendarEntry> {
    let date = t.due_date?;
    Some(CalendarEntry {
        kind: if t.is_milestone {
            EntryKind::Milestone
        } else {
            EntryKind::Task
        },
        id: t.id,
        project_id: t.project_id,
        project_code: t.project_code,
        done: !t.status.is_open(),
        // A milestone is a moment: one day (its due date), never a run of days.
        start: t.start_date.filter(|_| !t.is_milestone),
        date,
        path: format!("/tasks/{}", t.id),
        title: t.title,
    })
}

impl Services {
    /// Tasks due within `first..=last` (and, with `spanning`, those due up to
    /// [`SPAN_DAYS`] later whose run reaches back into the period).
    async fn calendar_tasks(
        &self,
        caller: &Caller,
        mut query: TaskQuery,
        first: Date,
        last: Date,
        spanning: bool,
    ) -> AppResult<Vec<CalendarEntry>> {
        let until = if spanning {
            last + Duration::days(SPAN_DAYS)
        } else {
            last
        };
        query.due_from = Some(first);
        query.due_before = Some(until + Duration::days(1));
        query.paging = Paging {
            limit: CALENDAR_MAX,
            offset: 0,
        };
        let tasks = match query.project_id {
            Some(p) => self.list_project_tasks(caller, p, query).await?.items,
            None => {
                self.store
                    .list_tasks(&query, project_scope(&caller.actor))
                    .await?
                    .items
            }
        };
        Ok(tasks
            .into_iter()
            .filter_map(task_entry)
            .filter(|e| e.overlaps(first, last))
            .collect())
    }

    /// The project's RFIs with a required-by date in the period, as the RFI list shows them
    /// to the caller; with `ball_with`, only those whose turn is that user's.
    async fn calendar_rfis(
        &self,
        caller: &Caller,
        project_id: Uuid,
        project_code: &str,
        ball_with: Option<Uuid>,
        first: Date,
        last: Date,
    ) -> AppResult<Vec<CalendarEntry>> {
        let filter = RfiFilter {
            ball_with,
            ..RfiFilter::default()
        };
        let (rfis, _, _) = self.list_rfis(caller, project_id, filter, None).await?;
        Ok(rfis
            .into_iter()
            .filter_map(|r| {
                let date = r.required_by.filter(|d| first <= *d && *d <= last)?;
                Some(CalendarEntry {
                    kind: EntryKind::Rfi,
                    id: r.id,
                    project_id,
                    project_code: project_code.to_owned(),
                    title: format!("{} {}", r.code, r.subject),
                    start: None,
                    date,
                    path: format!("/rfis/{}", r.id),
                    done: r.status != RfiStatus::Open,
                })
            })
            .collect())
    }

    /// The project's delivery notes planned in the period (not cancelled), when the caller
    /// may see deliveries; with `open_only`, those not yet received.
    async fn calendar_deliveries(
        &self,
        caller: &Caller,
        project_id: Uuid,
        project_code: &str,
        open_only: bool,
        first: Date,
        last: Date,
    ) -> AppResult<Vec<CalendarEntry>> {
        let notes = self
            .list_delivery_notes(caller, project_id, None)
            .await?
            .into_iter()
            .filter(|n| n.status != DeliveryStatus::Cancelled);
        Ok(notes
            .filter_map(|n| {
                let date = n.planned_on.filter(|d| first <= *d && *d <= last)?;
                let done = n.status == DeliveryStatus::Received;
                if open_only && done {
                    return None;
                }
                let title = match &n.destination {
                    Some(d) => format!("{} to {d}", n.code),
                    None => n.code.clone(),
                };
                Some(CalendarEntry {
                    kind: EntryKind::Delivery,
                    id: n.id,
                    project_id,
                    project_code: project_code.to_owned(),
                    title,
                    start: None,
                    date,
                    path: format!("/delivery-notes/{}", n.id),
                    done,
                })
            })
            .collect())
    }

    /// Everything of one project that falls within `first..=last`, as the caller may see it.
    /// `spanning` reads the tasks whose run (start to due date) crosses the period.
    pub async fn project_calendar(
        &self,
        caller: &Caller,
        project_id: Uuid,
        first: Date,
        last: Date,
        spanning: bool,
    ) -> AppResult<Vec<CalendarEntry>> {
        if last < first || (last - first).whole_days() > 500 {
            return Err(AppError::field(
                "to",
                "must be on or after the first day, and at most 500 days after it",
            ));
        }
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ViewTasks, &Resource::Project(access))?;
        let code = project.code.as_str();
        let mut entries = self
            .calendar_tasks(
                caller,
                TaskQuery {
                    project_id: Some(project_id),
                    ..TaskQuery::default()
                },
                first,
                last,
                spanning,
            )
            .await?;
        if self.may(caller, Action::ViewRfis, access) {
            entries.extend(
                self.calendar_rfis(caller, project_id, code, None, first, last)
                    .await?,
            );
        }
        if self.may(caller, Action::ViewDeliveries, access) {
            entries.extend(
                self.calendar_deliveries(caller, project_id, code, false, first, last)
                    .await?,
            );
        }
        if self.may(caller, Action::ViewPurchaseOrders, access) {
            let (orders, _, _) = self
                .list_purchase_orders(caller, project_id, &PoFilter::default(), None)
                .await?;
            entries.extend(orders.into_iter().filter_map(|o| {
                let date = o.required_on.filter(|d| first <= *d && *d <= last)?;
                if o.status == PoStatus::Cancelled {
                    return None;
                }
                Some(CalendarEntry {
                    kind: EntryKind::PurchaseOrder,
                    id: o.id,
                    project_id,
                    project_code: code.to_owned(),
                    title: format!("{} {}", o.number, o.supplier_name),
                    start: None,
                    date,
                    path: format!("/purchase-orders/{}", o.id),
                    done: matches!(o.status, PoStatus::Received | PoStatus::Closed),
                })
            }));
        }
        if self.may(caller, Action::ViewSpecs, access) {
            let specs = self
                .list_specs(caller, project_id, &SpecQuery::default())
                .await?;
            entries.extend(specs.items.into_iter().filter_map(|s| {
                let date = s.needed_on.filter(|d| first <= *d && *d <= last)?;
                if s.status == SpecStatus::Rejected {
                    return None;
                }
                Some(CalendarEntry {
                    kind: EntryKind::Spec,
                    id: s.id,
                    project_id,
                    project_code: code.to_owned(),
                    title: format!("{} {}", s.code, s.description),
                    start: None,
                    date,
                    path: format!("/specs/{}", s.id),
                    done: matches!(
                        s.procurement,
                        Some(Procurement::Delivered | Procurement::Installed)
                    ),
                })
            }));
        }
        calendar::sort(&mut entries);
        Ok(entries)
    }

    /// The caller's own work within `first..=last`: their tasks across projects, the RFIs
    /// whose turn is theirs, and the deliveries they plan or receive on their projects.
    pub async fn my_calendar(
        &self,
        caller: &Caller,
        first: Date,
        last: Date,
        spanning: bool,
    ) -> AppResult<Vec<CalendarEntry>> {
        let me = caller.actor.user_id;
        let mut entries = self
            .calendar_tasks(
                caller,
                TaskQuery {
                    assignee_id: Some(me),
                    ..TaskQuery::default()
                },
                first,
                last,
                spanning,
            )
            .await?;
        // The projects they are on (a client user: their organisation's), not every project
        // an administrator or executive may read.
        let scope = match (caller.actor.role, caller.actor.client_id) {
            (Role::Client, Some(c)) => ProjectScope::OfClient(c),
            (Role::Client, None) => ProjectScope::None,
            _ => ProjectScope::MemberOf(me),
        };
        let projects = self
            .store
            .list_projects(
                &ProjectQuery {
                    paging: Paging {
                        limit: MY_PROJECTS_MAX,
                        offset: 0,
                    },
                    ..ProjectQuery::default()
                },
                scope,
            )
            .await?
            .items;
        for p in projects {
            // Each project's rights are checked again, as on its own pages.
            let Ok(access) = self.access_for(caller, p.id).await else {
                continue;
            };
            if self.may(caller, Action::ViewRfis, access) {
                entries.extend(
                    self.calendar_rfis(caller, p.id, &p.code, Some(me), first, last)
                        .await?
                        .into_iter()
                        .filter(|e| !e.done),
                );
            }
            if self.may(caller, Action::ViewDeliveries, access)
                && (self.may(caller, Action::ReceiveDeliveries, access)
                    || self.may(caller, Action::ManageDeliveries, access))
            {
                entries.extend(
                    self.calendar_deliveries(caller, p.id, &p.code, true, first, last)
                        .await?,
                );
            }
        }
        calendar::sort(&mut entries);
        Ok(entries)
    }

    /// The caller's feed links, newest first.
    pub async fn list_calendar_feeds(&self, caller: &Caller) -> AppResult<Vec<CalendarFeed>> {
        ensure(
            caller,
            Action::ManageCalendarFeeds,
            &Resource::User {
                id: caller.actor.user_id,
            },
        )?;
        self.store.list_feeds(caller.actor.user_id).await
    }

    /// Makes a feed link for the caller's own work, or for a project they may see. The link
    /// (with its secret) is returned once.
    pub async fn create_calendar_feed(
        &self,
        caller: &Caller,
        project_id: Option<Uuid>,
    ) -> AppResult<CreatedFeed> {
        self.make_feed(caller, project_id, None).await
    }

    /// Replaces one of the caller's feed links with a new one for the same calendar: the old
    /// link stops working at once.
    pub async fn regenerate_calendar_feed(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<CreatedFeed> {
        let old = self
            .store
            .get_feed(caller.actor.user_id, id)
            .await?
            .filter(|f| f.revoked_at.is_none())
            .ok_or(AppError::NotFound("calendar feed"))?;
        self.make_feed(caller, old.project_id, Some(old.id)).await
    }

    async fn make_feed(
        &self,
        caller: &Caller,
        project_id: Option<Uuid>,
        replacing: Option<Uuid>,
    ) -> AppResult<CreatedFeed> {
        ensure(
            caller,
            Action::ManageCalendarFeeds,
            &Resource::User {
                id: caller.actor.user_id,
            },
        )?;
        let project = match project_id {
            Some(p) => Some(self.project_for(caller, p).await?.0),
            None => None,
        };
        let secret = new_token(FEED_TOKEN_PREFIX)?;
        let feed = CalendarFeed {
            id: formula_domain::new_id(),
            user_id: caller.actor.user_id,
            project_id,
            project_code: project.as_ref().map(|p| p.code.clone()),
            project_name: project.as_ref().map(|p| p.name.clone()),
            prefix: secret.chars().take(10).collect(),
            created_at: self.now(),
            last_used_at: None,
            revoked_at: None,
        };
        let label = match &project {
            Some(p) => format!("Calendar feed of {}", p.code),
            None => "Calendar feed of my work".to_owned(),
        };
        let action = if replacing.is_some() {
            "regenerate"
        } else {
            "create"
        };
        let mut a = audit(caller, action, "calendar_feed", feed.id, &label, Vec::new());
        if let Some(p) = project_id {
            a = a.in_project(p);
        }
        self.store
            .insert_feed(&feed, &token_hash(&secret), replacing, &a)
            .await?;
        let url = format!(
            "{}/ical/{secret}.ics",
            self.config.public_url.trim_end_matches('/')
        );
        Ok(CreatedFeed { feed, url })
    }

    /// Revokes one of the caller's feed links; it answers 404 from then on.
    pub async fn revoke_calendar_feed(&self, caller: &Caller, id: Uuid) -> AppResult<()> {
        ensure(
            caller,
            Action::ManageCalendarFeeds,
            &Resource::User {
                id: caller.actor.user_id,
            },
        )?;
        let a = audit(
            caller,
            "revoke",
            "calendar_feed",
            id,
            "Calendar feed",
            Vec::new(),
        );
        if self
            .store
            .revoke_feed(caller.actor.user_id, id, self.now(), &a)
            .await?
        {
            Ok(())
        } else {
            Err(AppError::NotFound("calendar feed"))
        }
    }

    /// The iCalendar document behind a feed token, made with its owner's rights as they are
    /// now. An unknown, revoked or malformed token, a disabled owner, or a project the owner
    /// may no longer see all answer not found, alike.
    pub async fn calendar_feed(&self, token: &str) -> AppResult<FeedDocument> {
        let gone = AppError::NotFound("calendar feed");
        if !token.starts_with(FEED_TOKEN_PREFIX) || token.len() > 100 {
            return Err(gone);
        }
        let Some((feed, user)) = self.store.feed_by_hash(&token_hash(token)).await? else {
            return Err(gone);
        };
        if feed.revoked_at.is_some() || !user.is_active() {
            return Err(gone);
        }
        let owner = Caller {
            actor: actor_for(&user),
            ctx: RequestCtx::default(),
        };
        let today = self.today();
        let (first, last) = (
            today - Duration::days(FEED_DAYS_BACK),
            today + Duration::days(FEED_DAYS_AHEAD),
        );
        let (name, entries) = match feed.project_id {
            Some(p) => {
                let entries = match self.project_calendar(&owner, p, first, last, false).await {
                    Ok(e) => e,
                    Err(AppError::NotFound(_) | AppError::Forbidden) => return Err(gone),
                    Err(e) => return Err(e),
                };
                let code = feed.project_code.clone().unwrap_or_default();
                let pname = feed.project_name.clone().unwrap_or_default();
                (format!("{code} {pname}"), entries)
            }
            None => (
                format!("My work ({})", user.name),
                self.my_calendar(&owner, first, last, false)
                    .await?
                    .into_iter()
                    .filter(|e| !e.done)
                    .collect(),
            ),
        };
        let now = self.now();
        if feed
            .last_used_at
            .is_none_or(|at| now - at >= Duration::minutes(5))
        {
            self.store.touch_feed(feed.id, now).await?;
        }
        let name = format!("{} · {}", name.trim(), self.config.product_name);
        let body = calendar::to_ical(
            &IcalHead {
                name: &name,
                base_url: &self.config.public_url,
                stamp: now,
            },
            &entries,
        );
        Ok(FeedDocument { name, body })
    }
}
