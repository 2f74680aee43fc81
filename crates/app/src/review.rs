//! The review workflow's use cases, written once for every reviewable kind (the rules are in
//! `formula_domain::review`): submitting, and deciding — authorised, checked against the
//! workflow, recorded once by compare-and-set with its audit entry, then announced — and who
//! decides on a project's reviews. A kind plugs in by implementing [`ReviewKind`].

use formula_domain::audit::AuditEntry;
use formula_domain::authz::{Action, ProjectAccess};
use formula_domain::errors::{FieldErrors, optional_text};
use formula_domain::notification::Event;
use formula_domain::review::{
    self, Decided, DecisionOf, DecisionWord, Refused, ReviewSettings, Reviewable, StatusWord,
};
use formula_domain::user::Role;
use serde::Serialize;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::notifications::Happening;
use crate::repos::RecordKey;
use crate::services::{Services, audit, changes, check_version, ensure};

/// A reviewable thing loaded for a step, with what the step needs around it.
pub(crate) struct Loaded<K: ReviewKind> {
    pub item: K,
    /// What else was read with it (a revision's drawing).
    pub context: K::Context,
    pub access: ProjectAccess,
    pub project_id: Uuid,
    /// What its audit entries and events are about (a revision's drawing), and the label
    /// the audit trail shows.
    pub subject_id: Uuid,
    pub label: String,
}

/// A reviewable kind as the use cases handle it: how one is loaded and saved, and the names
/// it is authorised, audited and announced under.
pub(crate) trait ReviewKind: Reviewable + Clone + Serialize + Sized {
    /// What is loaded with it.
    type Context;
    /// Who may send it for review.
    const SUBMIT: Action;
    /// Who may see it (deciding also takes [`may_decide`](Services::may_decide)).
    const VIEW: Action;
    /// Who decides when the project names no reviewers (see `review::may_decide`).
    const DECIDE: Action;
    /// The entity type of its audit entries.
    const AUDITED_AS: &'static str;
    /// The event kind announced after a submission.
    const SUBMITTED_EVENT: &'static str;
    /// The event kind announced after a decision.
    const DECIDED_EVENT: &'static str;
    /// What the comments field says when a decision needs them.
    const COMMENTS_NEEDED: &'static str;
    /// Whether a refused step lists what may follow. Specifications have always answered
    /// with an empty list; kept so that their API does not change.
    const LISTS_ALLOWED: bool = true;
    /// Whether the project's review settings (named reviewers, client approvals) say who
    /// decides. A variation is the client's to decide whatever they say: `DECIDE` alone.
    const DECIDED_BY_SETTINGS: bool = true;

    /// Loads `id` for a caller allowed `action` on it; not found when they may not see it.
    async fn load(
        s: &Services,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<Loaded<Self>>;
    /// The version a step must match, and who saved it when (for the stale message).
    fn saved(&self) -> (i64, Option<String>, OffsetDateTime);
    /// Refusals of a submission beyond the workflow's own (a superseded revision).
    fn check_submit(&self, _context: &Self::Context) -> AppResult<()> {
        Ok(())
    }
    /// Saves a step compare-and-set, with the decision that made it and its audit entry.
    async fn save(
        s: &Services,
        next: &Self,
        expected_version: i64,
        decided: Option<&Self::Record>,
        audit: &AuditEntry,
    ) -> AppResult<Self>;
}

impl Services {
    /// Sends a draft for review (or, for kinds revised in place, what was sent back).
    pub(crate) async fn submit_for_review<K: ReviewKind>(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<K> {
        let it = K::load(self, caller, id, K::SUBMIT).await?;
        check_saved(&it.item, expected_version)?;
        let to = review::submit(&it.item).map_err(refused::<K>)?;
        it.item.check_submit(&it.context)?;
        let mut next = it.item.clone();
        next.enter(to, &caller.actor.name, self.now());
        self.record_step(caller, Step::Submit, &it, next, expected_version, None)
            .await
    }

    /// Records a reviewer's decision on what was submitted. Two reviewers deciding at once:
    /// the first decision stands, the second is refused as stale.
    pub(crate) async fn decide<K: ReviewKind>(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        decision: DecisionOf<K>,
        comments: Option<&str>,
    ) -> AppResult<K> {
        let it = K::load(self, caller, id, K::VIEW).await?;
        let may = if K::DECIDED_BY_SETTINGS {
            self.may_decide(caller, it.project_id, it.access, K::DECIDE)
                .await?
        } else {
            self.may(caller, K::DECIDE, it.access)
        };
        if !may {
            return Err(AppError::Forbidden);
        }
        check_saved(&it.item, expected_version)?;
        let to = review::decide(&it.item, decision).map_err(refused::<K>)?;
        let mut errors = FieldErrors::new();
        let comments = optional_text(&mut errors, "comments", comments, 5_000);
        if decision.verdict().needs_comment() && comments.is_none() {
            errors.add("comments", K::COMMENTS_NEEDED);
        }
        errors.into_result()?;
        let now = self.now();
        let decided = it.item.record(Decided::new(
            formula_domain::new_id(),
            &caller.actor,
            decision,
            comments.clone(),
            now,
        ));
        let mut next = it.item.clone();
        next.enter(to, &caller.actor.name, now);
        self.record_step(
            caller,
            Step::Decide,
            &it,
            next,
            expected_version,
            Some((&decided, comments.as_deref())),
        )
        .await
    }

    /// Saves a step with its audit entry, then announces it.
    async fn record_step<K: ReviewKind>(
        &self,
        caller: &Caller,
        step: Step,
        it: &Loaded<K>,
        next: K,
        expected_version: i64,
        decided: Option<(&K::Record, Option<&str>)>,
    ) -> AppResult<K> {
        let (decided, note) = match decided {
            Some((record, note)) => (Some(record), note),
            None => (None, None),
        };
        let (action, event) = match step {
            Step::Submit => ("submit", K::SUBMITTED_EVENT),
            Step::Decide => ("review", K::DECIDED_EVENT),
        };
        let entry = audit(
            caller,
            action,
            K::AUDITED_AS,
            it.subject_id,
            &it.label,
            changes(&it.item, &next),
        )
        .in_project(it.project_id);
        // Items a decision makes ready for production are told of once it is saved.
        let ready_before = match step {
            Step::Decide => self.ready_items(it.project_id).await,
            Step::Submit => Vec::new(),
        };
        let saved = K::save(self, &next, expected_version, decided, &entry).await?;
        self.changed(
            caller,
            event,
            it.project_id,
            it.subject_id,
            Some(saved.saved().0),
        )
        .await;
        self.review_happened(caller, step, it, &saved, note).await;
        if step == Step::Decide {
            self.newly_ready(caller, it.project_id, it.access.client_id, &ready_before)
                .await;
        }
        // The submitter and the designated reviewers follow what is under review; whoever
        // decides follows it from then on.
        if let Ok(kind) = K::AUDITED_AS.parse::<formula_domain::comment::RecordKind>() {
            let mut people = vec![caller.actor.user_id];
            if step == Step::Submit {
                match self.store.review_settings(it.project_id).await {
                    Ok(settings) => people.extend(settings.reviewer_ids),
                    Err(e) => tracing::warn!(error = %e, "could not read the reviewers"),
                }
            }
            self.involve(kind, it.subject_id, it.project_id, &people)
                .await;
        }
        Ok(saved)
    }

    /// Tells the reviewers of a submission, or the submitter and followers of a decision.
    async fn review_happened<K: ReviewKind>(
        &self,
        caller: &Caller,
        step: Step,
        it: &Loaded<K>,
        saved: &K,
        note: Option<&str>,
    ) {
        let Ok(kind) = K::AUDITED_AS.parse::<formula_domain::comment::RecordKind>() else {
            return;
        };
        let record = RecordKey {
            kind,
            id: it.subject_id,
            project_id: it.project_id,
        };
        let status = saved.review_status();
        let client_sees = review::shown_to(Role::Client, status.state());
        let version = saved.saved().0;
        let mut h = match step {
            Step::Submit => {
                let mut h = Happening::new(
                    Event::ReviewRequested,
                    record,
                    it.access.client_id,
                    format!(
                        "{} submitted {} for your review",
                        caller.actor.name, it.label
                    ),
                );
                h.parties.reviewers = self.reviewers_of::<K>(it).await;
                h
            }
            Step::Decide => {
                let mut h = Happening::new(
                    Event::ReviewDecided,
                    record,
                    it.access.client_id,
                    format!(
                        "{} decided {}: {}",
                        caller.actor.name,
                        it.label,
                        status.word().replace('_', " ")
                    ),
                );
                h.parties.submitter = self.submitter_of(it.subject_id).await;
                h.excerpt = note.map(crate::notifications::excerpt);
                h
            }
        };
        h = h.by(caller);
        h.client_sees = client_sees;
        h.occurrence = format!("v{version}");
        self.notify(h).await;
    }

    /// Who decides on `it`'s reviews: the named reviewers, else the project managers, and the
    /// client's users when the project lets them approve (administrators decide anything, but
    /// are told only when named).
    async fn reviewers_of<K: ReviewKind>(&self, it: &Loaded<K>) -> Vec<Uuid> {
        let (settings, people) = match (
            self.store.review_settings(it.project_id).await,
            self.store.project_people(it.project_id).await,
        ) {
            (Ok(s), Ok(p)) => (s, p),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "could not read the reviewers");
                return Vec::new();
            }
        };
        people
            .iter()
            .filter(|p| {
                if p.role == Role::Admin {
                    return settings.reviewer_ids.contains(&p.id);
                }
                let actor = formula_domain::authz::Actor {
                    user_id: p.id,
                    name: p.name.clone(),
                    role: p.role,
                    client_id: p.client_id,
                };
                let access = ProjectAccess {
                    client_id: it.access.client_id,
                    membership: p.membership,
                };
                review::may_decide(&actor, access, &settings, K::DECIDE)
            })
            .map(|p| p.id)
            .collect()
    }

    /// Who last submitted the record for review.
    async fn submitter_of(&self, subject_id: Uuid) -> Option<Uuid> {
        let q = crate::query::AuditQuery {
            entity_id: Some(subject_id),
            action: Some("submit".into()),
            paging: crate::query::Paging {
                limit: 1,
                offset: 0,
            },
            ..Default::default()
        };
        match self.store.list_audit(&q).await {
            Ok(page) => page.items.first().and_then(|e| e.actor_id),
            Err(e) => {
                tracing::warn!(error = %e, "could not read who submitted a review");
                None
            }
        }
    }

    /// Whether the caller decides on this project's reviews of a kind decided by `decide`
    /// (see `review::may_decide`).
    pub async fn may_decide(
        &self,
        caller: &Caller,
        project_id: Uuid,
        access: ProjectAccess,
        decide: Action,
    ) -> AppResult<bool> {
        // Administrators decide whatever the settings say: no need to read them.
        if caller.actor.role == Role::Admin {
            return Ok(true);
        }
        let settings = self.store.review_settings(project_id).await?;
        Ok(review::may_decide(&caller.actor, access, &settings, decide))
    }

    /// Who decides on the project's drawings and specifications.
    pub async fn review_settings(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<ReviewSettings> {
        let (_, access) = self.project_for(caller, project_id).await?;
        ensure(
            caller,
            Action::ViewDrawings,
            &formula_domain::authz::Resource::Project(access),
        )?;
        self.store.review_settings(project_id).await
    }

    /// Names the designated reviewers (team members who are not client users) and whether
    /// client users may approve. Project managers of the team and administrators decide.
    pub async fn set_review_settings(
        &self,
        caller: &Caller,
        project_id: Uuid,
        settings: ReviewSettings,
    ) -> AppResult<ReviewSettings> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(
            caller,
            Action::ManageTeam,
            &formula_domain::authz::Resource::Project(access),
        )?;
        let members = self.store.list_members(project_id).await?;
        let mut reviewer_ids: Vec<Uuid> = Vec::new();
        for id in settings.reviewer_ids {
            if !members.iter().any(|m| m.user_id == id) {
                return Err(AppError::field(
                    "reviewer_ids",
                    "must be members of the project team; add them on the Team tab first",
                ));
            }
            if !reviewer_ids.contains(&id) {
                reviewer_ids.push(id);
            }
        }
        let next = ReviewSettings {
            client_approvals: settings.client_approvals,
            reviewer_ids,
        };
        let old = self.store.review_settings(project_id).await?;
        let a = audit(
            caller,
            "review_settings",
            "project",
            project_id,
            &project.code,
            changes(&old, &next),
        )
        .in_project(project_id);
        self.store
            .save_review_settings(project_id, &next, &a)
            .await?;
        Ok(next)
    }
}

/// The two steps of a review, as audited (`submit`, `review`) and announced.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    Submit,
    Decide,
}

/// Refuses a step on a stale version before doing any work.
fn check_saved<K: ReviewKind>(item: &K, expected_version: i64) -> AppResult<()> {
    let (version, by, at) = item.saved();
    check_version(expected_version, version, by, at)
}

fn refused<K: ReviewKind>(r: Refused<K::Status>) -> AppError {
    AppError::InvalidTransition {
        from: r.from.word().to_owned(),
        to: r.to.word().to_owned(),
        allowed: if K::LISTS_ALLOWED {
            r.allowed.iter().map(|s| s.word().to_owned()).collect()
        } else {
            Vec::new()
        },
    }
}
