//! The one review workflow. Drawing revisions and material specifications go through it, and
//! so will variations, RFI answers and submittals: a draft is submitted, a reviewer decides
//! once (approve, approve as noted, revise and resubmit, reject), and the decision is recorded.
//!
//! The rules are written here once, over [`ReviewState`] and [`Verdict`]. Each kind keeps its
//! own words for them (string enums declared with [`review_words!`], so its API, pages and
//! stored values keep their vocabulary — "Submitted for approval" for a material) and plugs
//! in by implementing [`Reviewable`].

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::authz::{Action, Actor, ProjectAccess, Resource, authorize};
use crate::user::Role;

/// Where something is in its review, in the workflow's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewState {
    Draft,
    Submitted,
    Approved,
    ApprovedAsNoted,
    ReviseAndResubmit,
    Rejected,
}

impl ReviewState {
    /// Every state, in workflow order.
    pub const ALL: [ReviewState; 6] = [
        ReviewState::Draft,
        ReviewState::Submitted,
        ReviewState::Approved,
        ReviewState::ApprovedAsNoted,
        ReviewState::ReviseAndResubmit,
        ReviewState::Rejected,
    ];

    /// The wire form every kind's word for this state must use.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Draft => "draft",
            ReviewState::Submitted => "submitted",
            ReviewState::Approved => "approved",
            ReviewState::ApprovedAsNoted => "approved_as_noted",
            ReviewState::ReviseAndResubmit => "revise_and_resubmit",
            ReviewState::Rejected => "rejected",
        }
    }

    /// Approved outright or as noted: good to go ahead.
    pub fn is_approved(self) -> bool {
        matches!(self, ReviewState::Approved | ReviewState::ApprovedAsNoted)
    }

    /// A reviewer has decided.
    pub fn is_decided(self) -> bool {
        !matches!(self, ReviewState::Draft | ReviewState::Submitted)
    }
}

/// What a reviewer decides, in the workflow's own terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Approved,
    ApprovedAsNoted,
    ReviseAndResubmit,
    Rejected,
}

impl Verdict {
    /// Every verdict.
    pub const ALL: [Verdict; 4] = [
        Verdict::Approved,
        Verdict::ApprovedAsNoted,
        Verdict::ReviseAndResubmit,
        Verdict::Rejected,
    ];

    /// The wire form every kind's word for this decision must use.
    pub fn as_str(self) -> &'static str {
        self.state().as_str()
    }

    /// The state the decision moves the thing to.
    pub fn state(self) -> ReviewState {
        match self {
            Verdict::Approved => ReviewState::Approved,
            Verdict::ApprovedAsNoted => ReviewState::ApprovedAsNoted,
            Verdict::ReviseAndResubmit => ReviewState::ReviseAndResubmit,
            Verdict::Rejected => ReviewState::Rejected,
        }
    }

    /// Whether the reviewer must say why (everything but a plain approval).
    pub fn needs_comment(self) -> bool {
        self != Verdict::Approved
    }
}

/// A kind's words for the review states: a string enum declared with [`review_words!`].
pub trait StatusWord: Copy + Eq + std::fmt::Debug + 'static {
    /// The same kind's words for the decisions.
    type Decision: DecisionWord;
    /// Its word for [`ReviewState::Draft`].
    const DRAFT: Self;
    /// Its word for [`ReviewState::Submitted`].
    const SUBMITTED: Self;
    /// The workflow state this word names.
    fn state(self) -> ReviewState;
    /// The stored and wire form.
    fn word(self) -> &'static str;
    /// The decisions a reviewer may take on this kind, in display order.
    fn decisions() -> &'static [Self::Decision];
    /// The status a decision gives.
    fn after(decision: Self::Decision) -> Self;
}

/// A kind's words for the decisions: a string enum declared with [`review_words!`].
pub trait DecisionWord: Copy + Eq + std::fmt::Debug + 'static {
    /// The workflow verdict this word names.
    fn verdict(self) -> Verdict;
    /// The stored and wire form.
    fn word(self) -> &'static str;
}

/// Declares a reviewable kind's words: its status enum and its decision enum (string enums,
/// see `string_enum!`), whose variants are named after [`ReviewState`] and [`Verdict`], a
/// subset of them with the kind's own labels. The compiler checks that the status enum has
/// `Draft`, `Submitted` and a status for every decision.
macro_rules! review_words {
    (
        $(#[$smeta:meta])* $status:ident { $($sv:ident => $st:literal, $sl:literal),+ $(,)? }
        $(#[$dmeta:meta])* $decision:ident { $($dv:ident => $dt:literal, $dl:literal),+ $(,)? }
    ) => {
        $crate::enums::string_enum!($(#[$smeta])* $status { $($sv => $st, $sl),+ });
        $crate::enums::string_enum!($(#[$dmeta])* $decision { $($dv => $dt, $dl),+ });

        impl $crate::review::StatusWord for $status {
            type Decision = $decision;
            const DRAFT: Self = $status::Draft;
            const SUBMITTED: Self = $status::Submitted;
            fn state(self) -> $crate::review::ReviewState {
                match self { $($status::$sv => $crate::review::ReviewState::$sv),+ }
            }
            fn word(self) -> &'static str {
                self.as_str()
            }
            fn decisions() -> &'static [$decision] {
                $decision::ALL
            }
            fn after(decision: $decision) -> Self {
                match decision { $($decision::$dv => $status::$dv),+ }
            }
        }

        impl $crate::review::DecisionWord for $decision {
            fn verdict(self) -> $crate::review::Verdict {
                match self { $($decision::$dv => $crate::review::Verdict::$dv),+ }
            }
            fn word(self) -> &'static str {
                self.as_str()
            }
        }
    };
}
pub(crate) use review_words;

/// A kind's decision words, from the thing reviewed.
pub type DecisionOf<R> = <<R as Reviewable>::Status as StatusWord>::Decision;

/// Something that goes through the review. A new reviewable thing declares its words with
/// [`review_words!`] and implements this; the workflow (here and in the app's `review`
/// module) does the rest.
pub trait Reviewable {
    /// Its words for the states (and, through them, for the decisions).
    type Status: StatusWord;
    /// How a decision on it is kept (the [`Decided`] decision, filed under the thing).
    type Record;
    /// Whether, once sent back to be revised, it is resubmitted itself (a specification is
    /// edited in place) rather than replaced by a new one (a drawing's next revision).
    const RESUBMITTED_IN_PLACE: bool;

    /// Where it is now.
    fn review_status(&self) -> Self::Status;
    /// Takes `status`, moved there by `by` at `at`, with whatever the kind keeps with the
    /// step (when it was submitted or decided; an approved material goes on the order list).
    fn enter(&mut self, status: Self::Status, by: &str, at: OffsetDateTime);
    /// The decision, filed under this thing.
    fn record(&self, decided: Decided<DecisionOf<Self>>) -> Self::Record;
}

/// A reviewer's decision, made once: who, what, why and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided<D> {
    pub id: Uuid,
    pub reviewer_id: Option<Uuid>,
    pub reviewer_name: Option<String>,
    pub decision: D,
    pub comments: Option<String>,
    pub at: OffsetDateTime,
}

impl<D> Decided<D> {
    /// `decision` by `reviewer` now, with the comments already checked.
    pub fn new(
        id: Uuid,
        reviewer: &Actor,
        decision: D,
        comments: Option<String>,
        at: OffsetDateTime,
    ) -> Self {
        Decided {
            id,
            reviewer_id: Some(reviewer.user_id),
            reviewer_name: Some(reviewer.name.clone()),
            decision,
            comments,
            at,
        }
    }
}

/// A step the workflow refuses: from where, to where, and what may follow instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused<S> {
    pub from: S,
    pub to: S,
    pub allowed: Vec<S>,
}

/// The statuses that may follow `from` for this kind.
pub fn allowed_next<R: Reviewable>(from: R::Status) -> Vec<R::Status> {
    match from.state() {
        ReviewState::Draft => vec![R::Status::SUBMITTED],
        ReviewState::ReviseAndResubmit if R::RESUBMITTED_IN_PLACE => vec![R::Status::SUBMITTED],
        ReviewState::Submitted => R::Status::decisions()
            .iter()
            .map(|d| R::Status::after(*d))
            .collect(),
        _ => Vec::new(),
    }
}

fn step<R: Reviewable>(item: &R, to: R::Status) -> Result<R::Status, Refused<R::Status>> {
    let from = item.review_status();
    let allowed = allowed_next::<R>(from);
    if allowed.contains(&to) {
        Ok(to)
    } else {
        Err(Refused { from, to, allowed })
    }
}

/// Sending for review: the status it takes, or why not.
pub fn submit<R: Reviewable>(item: &R) -> Result<R::Status, Refused<R::Status>> {
    step(item, R::Status::SUBMITTED)
}

/// A reviewer's decision on what was submitted: the status it takes, or why not.
pub fn decide<R: Reviewable>(
    item: &R,
    decision: DecisionOf<R>,
) -> Result<R::Status, Refused<R::Status>> {
    step(item, R::Status::after(decision))
}

/// Client users see only what was submitted to them, never drafts.
pub fn shown_to(role: Role, state: ReviewState) -> bool {
    role != Role::Client || state != ReviewState::Draft
}

/// Who decides on a project's drawings and specifications.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewSettings {
    /// The client organisation's users may approve what was submitted to them.
    pub client_approvals: bool,
    /// When not empty, only these people (and administrators) decide; otherwise the
    /// project managers on the team do.
    pub reviewer_ids: Vec<Uuid>,
}

/// Whether `actor` decides on the project's reviews: administrators always; client users
/// when the project allows client approvals; otherwise the designated reviewers if any are
/// named (and still on the team), else whoever `decide` allows (the project managers).
pub fn may_decide(
    actor: &Actor,
    access: ProjectAccess,
    settings: &ReviewSettings,
    decide: Action,
) -> bool {
    let project = Resource::Project(access);
    match actor.role {
        Role::Admin => true,
        Role::Client => {
            settings.client_approvals && authorize(actor, Action::ViewProject, &project)
        }
        _ if !settings.reviewer_ids.is_empty() => {
            access.membership.is_some() && settings.reviewer_ids.contains(&actor.user_id)
        }
        _ => authorize(actor, decide, &project),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drawing::{Decision, Revision, RevisionStatus};
    use crate::project::ProjectRole;
    use crate::spec::{Spec, SpecDecision, SpecStatus};
    use crate::variation::{Variation, VariationDecision, VariationStatus};
    use proptest::prelude::*;

    /// A reviewable thing with `S`'s words: the workflow without any kind's bookkeeping.
    #[derive(Debug, Clone, Copy)]
    struct Thing<S>(S);

    /// [`Thing`] as drawing revisions and as specifications use the workflow.
    trait Flavour: StatusWord {
        const IN_PLACE: bool;
        const ALL_WORDS: &'static [Self];
    }
    impl Flavour for RevisionStatus {
        const IN_PLACE: bool = <Revision as Reviewable>::RESUBMITTED_IN_PLACE;
        const ALL_WORDS: &'static [Self] = RevisionStatus::ALL;
    }
    impl Flavour for SpecStatus {
        const IN_PLACE: bool = <Spec as Reviewable>::RESUBMITTED_IN_PLACE;
        const ALL_WORDS: &'static [Self] = SpecStatus::ALL;
    }
    impl Flavour for VariationStatus {
        const IN_PLACE: bool = <Variation as Reviewable>::RESUBMITTED_IN_PLACE;
        const ALL_WORDS: &'static [Self] = VariationStatus::ALL;
    }

    impl<S: Flavour> Reviewable for Thing<S> {
        type Status = S;
        type Record = Decided<S::Decision>;
        const RESUBMITTED_IN_PLACE: bool = S::IN_PLACE;
        fn review_status(&self) -> S {
            self.0
        }
        fn enter(&mut self, status: S, _by: &str, _at: OffsetDateTime) {
            self.0 = status;
        }
        fn record(&self, decided: Decided<S::Decision>) -> Self::Record {
            decided
        }
    }

    /// The laws of the workflow, for one kind's words.
    fn obeys_the_workflow<S: Flavour>(from: S, decision: S::Decision) {
        let thing = Thing(from);
        // Deciding: only on what is submitted, to the decision's state.
        match decide(&thing, decision) {
            Ok(to) => {
                assert_eq!(from.state(), ReviewState::Submitted);
                assert_eq!(to.state(), decision.verdict().state());
                assert!(to.state().is_decided());
            }
            Err(r) => {
                assert_ne!(from.state(), ReviewState::Submitted);
                assert_eq!((r.from, r.to), (from, S::after(decision)));
            }
        }
        // Submitting: drafts, and what was sent back when the kind is revised in place.
        let may_submit = from.state() == ReviewState::Draft
            || (S::IN_PLACE && from.state() == ReviewState::ReviseAndResubmit);
        assert_eq!(submit(&thing).is_ok(), may_submit, "{from:?}");
        // What is listed as allowed is exactly what the steps accept; never a self-loop.
        let allowed = allowed_next::<Thing<S>>(from);
        assert!(!allowed.contains(&from));
        for to in S::ALL_WORDS {
            let reachable = submit(&thing) == Ok(*to)
                || S::decisions().iter().any(|d| decide(&thing, *d) == Ok(*to));
            assert_eq!(allowed.contains(to), reachable, "{from:?} → {to:?}");
        }
        // Approved and rejected are final.
        if from.state().is_approved() || from.state() == ReviewState::Rejected {
            assert!(allowed.is_empty());
        }
    }

    proptest! {
        #[test]
        fn drawing_revisions_follow_the_workflow(
            from in prop::sample::select(RevisionStatus::ALL.to_vec()),
            decision in prop::sample::select(Decision::ALL.to_vec()),
        ) {
            obeys_the_workflow(from, decision);
        }

        #[test]
        fn specifications_follow_the_workflow(
            from in prop::sample::select(SpecStatus::ALL.to_vec()),
            decision in prop::sample::select(SpecDecision::ALL.to_vec()),
        ) {
            obeys_the_workflow(from, decision);
        }

        #[test]
        fn variations_follow_the_workflow(
            from in prop::sample::select(VariationStatus::ALL.to_vec()),
            decision in prop::sample::select(VariationDecision::ALL.to_vec()),
        ) {
            obeys_the_workflow(from, decision);
        }
    }

    /// Every kind's words are stored and sent as the workflow's own.
    fn words_are_the_workflows<S: Flavour>() {
        for s in S::ALL_WORDS {
            assert_eq!(s.word(), s.state().as_str());
        }
        for d in S::decisions() {
            assert_eq!(d.word(), d.verdict().as_str());
        }
    }

    #[test]
    fn kinds_use_the_workflows_words() {
        words_are_the_workflows::<RevisionStatus>();
        words_are_the_workflows::<SpecStatus>();
        words_are_the_workflows::<VariationStatus>();
        // Drawings may be approved as noted; materials are approved or not.
        assert_eq!(RevisionStatus::decisions().len(), 4);
        assert!(
            SpecStatus::decisions()
                .iter()
                .all(|d| d.verdict() != Verdict::ApprovedAsNoted)
        );
    }

    #[test]
    fn decisions_other_than_plain_approval_need_comments() {
        let needs: Vec<Verdict> = Verdict::ALL
            .into_iter()
            .filter(|v| v.needs_comment())
            .collect();
        assert_eq!(
            needs,
            [
                Verdict::ApprovedAsNoted,
                Verdict::ReviseAndResubmit,
                Verdict::Rejected
            ]
        );
        assert!(ReviewState::ApprovedAsNoted.is_approved());
        assert!(!ReviewState::ReviseAndResubmit.is_approved());
        assert!(!ReviewState::Submitted.is_decided());
        for v in Verdict::ALL {
            assert!(v.state().is_decided());
        }
    }

    #[test]
    fn clients_never_see_drafts() {
        for s in ReviewState::ALL {
            assert_eq!(shown_to(Role::Client, s), s != ReviewState::Draft);
            assert!(shown_to(Role::Designer, s));
        }
    }

    #[test]
    fn who_may_decide() {
        let client_org = Uuid::from_u128(7);
        let actor = |role, id| Actor {
            user_id: Uuid::from_u128(id),
            name: "x".into(),
            role,
            client_id: (role == Role::Client).then_some(client_org),
        };
        let team = |membership| ProjectAccess {
            client_id: client_org,
            membership,
        };
        let pm = Some(ProjectRole::ProjectManager);
        let none = ReviewSettings::default();
        let named = ReviewSettings {
            client_approvals: false,
            reviewer_ids: vec![Uuid::from_u128(2)],
        };
        let clients = ReviewSettings {
            client_approvals: true,
            reviewer_ids: Vec::new(),
        };
        let may = |a: &Actor, access, s: &ReviewSettings| {
            may_decide(a, access, s, Action::ReviewDrawings)
        };
        // Administrators always.
        assert!(may(&actor(Role::Admin, 1), team(None), &named));
        // By default the project managers on the team, nobody else.
        assert!(may(&actor(Role::ProjectManager, 1), team(pm), &none));
        assert!(!may(&actor(Role::ProjectManager, 1), team(None), &none));
        assert!(!may(&actor(Role::Designer, 1), team(pm), &none));
        // Named reviewers replace them, while they are on the team.
        assert!(may(&actor(Role::Designer, 2), team(pm), &named));
        assert!(!may(&actor(Role::Designer, 2), team(None), &named));
        assert!(!may(&actor(Role::ProjectManager, 1), team(pm), &named));
        // Client users only when the project allows it, and only on their own projects.
        assert!(!may(&actor(Role::Client, 3), team(None), &none));
        assert!(may(&actor(Role::Client, 3), team(None), &clients));
        let other = ProjectAccess {
            client_id: Uuid::from_u128(8),
            membership: None,
        };
        assert!(!may(&actor(Role::Client, 3), other, &clients));
    }
}
