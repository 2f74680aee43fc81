//! Reminders of dates, computed against the clock: tasks due in 3 days, due tomorrow and
//! overdue (every day), materials past their order-by date and not ordered, and snags due
//! tomorrow or overdue (`crate::snags`), and order lines past their required date and not
//! fully received (`crate::goods_receipts`), and items late in the workshop against their
//! installation date (`crate::workshop_due`). The job runs
//! every hour; each reminder is stored once per task and day (or per material and order-by
//! date), so the first run of a day sends them and the others find nothing new.

use std::collections::HashMap;

use formula_domain::comment::RecordKind;
use formula_domain::notification::{Event, Parties};
use formula_domain::project::{Project, ProjectStatus};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use super::Happening;
use crate::error::AppResult;
use crate::query::{Paging, ProjectQuery};
use crate::repos::RecordKey;
use crate::services::Services;

/// Computes and stores the day's reminders (scheduled, hourly).
pub const NOTIFICATION_REMINDERS: &str = "notification_reminders";
/// `SCHEDULE_NOTIFICATION_REMINDERS` unless set: five past every hour.
pub const DEFAULT_NOTIFICATION_REMINDERS: &str = "5 * * * *";

/// Projects whose dates still matter.
pub(crate) fn open(p: &Project) -> bool {
    matches!(
        p.status,
        ProjectStatus::OnTender
            | ProjectStatus::Awarded
            | ProjectStatus::Active
            | ProjectStatus::OnHold
    )
}

impl Services {
    /// Stores today's reminders (today as the clock says); returns how many were reported.
    pub async fn send_reminders(&self, now: OffsetDateTime) -> AppResult<usize> {
        let today = now.date();
        let mut projects: HashMap<Uuid, Project> = HashMap::new();
        let mut reported = 0;
        let soon = today + Duration::days(3);
        let tomorrow = today + Duration::days(1);
        for t in self.store.tasks_due(&[soon, tomorrow], Some(today)).await? {
            let project = match projects.get(&t.project_id) {
                Some(p) => p.clone(),
                None => match self.store.get_project(t.project_id).await? {
                    Some(p) => {
                        projects.insert(p.id, p.clone());
                        p
                    }
                    None => continue,
                },
            };
            let (event, words, occurrence) = if t.due_date == soon {
                (
                    Event::TaskDueSoon,
                    "is due in 3 days".to_owned(),
                    t.due_date.to_string(),
                )
            } else if t.due_date == tomorrow {
                (
                    Event::TaskDueTomorrow,
                    "is due tomorrow".to_owned(),
                    t.due_date.to_string(),
                )
            } else {
                let late = (today - t.due_date).whole_days();
                (
                    Event::TaskOverdue,
                    format!(
                        "is overdue by {late} day{}",
                        if late == 1 { "" } else { "s" }
                    ),
                    today.to_string(),
                )
            };
            let record = RecordKey {
                kind: RecordKind::Task,
                id: t.id,
                project_id: t.project_id,
            };
            let mut h = Happening::new(
                event,
                record,
                project.client_id,
                format!("“{}” {words} ({})", t.title, t.due_date),
            );
            h.parties = Parties {
                assignee: t.assignee_id,
                ..Parties::default()
            };
            h.occurrence = occurrence;
            self.notify(h).await;
            reported += 1;
        }
        reported += self.material_reminders(today).await?;
        reported += self.snag_reminders(today).await?;
        reported += self.rfi_reminders(today).await?;
        reported += self.delivery_reminders(today).await?;
        reported += self.workshop_late_reminders(today).await?;
        reported += self.chain_risk_reminders(today).await?;
        Ok(reported)
    }

    /// Materials past their order-by date and not ordered, on open projects.
    async fn material_reminders(&self, today: time::Date) -> AppResult<usize> {
        let mut reported = 0;
        let mut paging = Paging {
            limit: crate::query::MAX_LIMIT,
            offset: 0,
        };
        loop {
            let query = ProjectQuery {
                paging,
                ..ProjectQuery::default()
            };
            let page = self
                .store
                .list_projects(&query, formula_domain::authz::ProjectScope::All)
                .await?;
            for p in page.items.iter().filter(|p| open(p)) {
                for s in self.store.list_specs(p.id).await? {
                    if !s.is_late(today) {
                        continue;
                    }
                    let Some(order_by) = s.order_by() else {
                        continue;
                    };
                    let record = RecordKey {
                        kind: RecordKind::Spec,
                        id: s.id,
                        project_id: p.id,
                    };
                    let mut h = Happening::new(
                        Event::MaterialLate,
                        record,
                        p.client_id,
                        format!(
                            "{} {} is not ordered: it had to be ordered by {order_by}",
                            s.code, s.description
                        ),
                    );
                    // Internal: procurement is the contractor's business.
                    h.internal = true;
                    h.client_sees = false;
                    h.occurrence = order_by.to_string();
                    self.notify(h).await;
                    reported += 1;
                }
            }
            let seen = paging.offset + page.items.len() as u64;
            if page.items.is_empty() || i64::try_from(seen).unwrap_or(i64::MAX) >= page.total {
                break;
            }
            paging.offset = seen;
        }
        Ok(reported)
    }
}
