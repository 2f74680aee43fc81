//! Notifications: the events a person hears of, who hears of each (one rule per event, in
//! [`RULES`]), the categories people choose e-mail delivery by, and how.
//!
//! Nobody sends a notification by hand: the use cases report what happened, and
//! [`recipients`] decides who is told. Whoever did it is never told; neither is anyone who
//! cannot see the record, nor a client user about anything internal.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::comment::RecordKind;
use crate::enums::string_enum;

string_enum!(
    /// Something that happened that someone should hear of.
    Event {
        TaskAssigned => "task_assigned", "Task assigned to you",
        TaskDatesMoved => "task_dates_moved", "Your task's dates moved",
        TaskDueSoon => "task_due_soon", "Task due in 3 days",
        TaskDueTomorrow => "task_due_tomorrow", "Task due tomorrow",
        TaskOverdue => "task_overdue", "Task overdue",
        TaskCompleted => "task_completed", "Task completed",
        ReviewRequested => "review_requested", "Submitted for your review",
        ReviewDecided => "review_decided", "Review decided",
        MaterialLate => "material_late", "Material not ordered in time",
        ItemReady => "item_ready", "Item ready for production",
        ItemReleased => "item_released", "Item released to production",
        Commented => "commented", "New comment",
        Mentioned => "mentioned", "Mentioned you",
        ProjectStatusChanged => "project_status_changed", "Project status changed",
        AddedToTeam => "added_to_team", "Added to a project team",
        RoomReady => "room_ready", "Room ready for sign-off",
        SnagRaised => "snag_raised", "Snag raised by the client",
        SnagAssigned => "snag_assigned", "Snag assigned to you",
        SnagDue => "snag_due", "Snag due tomorrow",
        SnagOverdue => "snag_overdue", "Snag overdue",
        SnagFixed => "snag_fixed", "Your snag was fixed",
        SnagClosed => "snag_closed", "Your snag was closed",
        VariationSubmitted => "variation_submitted", "Variation submitted for your decision",
        VariationDecided => "variation_decided", "Variation decided",
        RfiAddressed => "rfi_addressed", "RFI addressed to you",
        RfiAnswered => "rfi_answered", "RFI answered",
        RfiOverdue => "rfi_overdue", "RFI overdue",
        PoAwaitingApproval => "po_awaiting_approval", "Purchase order awaiting your approval",
        PoApproved => "po_approved", "Your purchase order was approved",
        GoodsReceived => "goods_received", "Goods received",
        DeliveryLate => "delivery_late", "Delivery late",
        DeliveryDispatched => "delivery_dispatched", "Delivery dispatched to site",
        DeliveryReceived => "delivery_received", "Delivery received on site",
        QaFailed => "qa_failed", "QA check failed in the workshop",
        WorkshopLate => "workshop_late", "Item late in the workshop",
        ItemAtRisk => "item_at_risk", "Item at risk: its chain no longer fits",
    }
);

string_enum!(
    /// What people choose e-mail delivery by.
    Category {
        Mentions => "mentions", "Mentions of me",
        Reviews => "reviews", "Reviews: submissions and decisions",
        Assignments => "assignments", "My tasks: assigned, moved and completed",
        Deadlines => "deadlines", "Deadlines: tasks due and materials late",
        Comments => "comments", "Comments on what I follow",
        Production => "production", "Items ready or released to production",
        Projects => "projects", "Project status and teams",
        Site => "site", "Site: deliveries and rooms ready for sign-off",
    }
);

string_enum!(
    /// How a category is mailed.
    EmailMode {
        Off => "off", "Off (in-app only)",
        Instant => "instant", "Right away (a few minutes, batched)",
        Digest => "digest", "Daily digest at 07:00",
    }
);

impl Category {
    /// What a person gets until they choose: what needs them now comes right away; what
    /// only informs them comes in the morning digest.
    pub fn default_mode(self) -> EmailMode {
        match self {
            Category::Mentions | Category::Reviews | Category::Assignments | Category::Site => {
                EmailMode::Instant
            }
            Category::Deadlines
            | Category::Comments
            | Category::Production
            | Category::Projects => EmailMode::Digest,
        }
    }
}

/// Someone an event may concern, named by their part in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Whoever the task is assigned to.
    Assignee,
    /// Whoever created the task.
    Creator,
    /// The project's manager and the team members with the manager role (for a room ready
    /// for sign-off, the use case names the coordinators too: they sign rooms off).
    Managers,
    /// Whoever decides on the project's reviews of that kind (client approvers included when
    /// the project lets its client approve).
    Reviewers,
    /// Whoever submitted what was decided.
    Submitter,
    /// Whoever follows the record.
    Followers,
    /// The people a comment mentions.
    Mentioned,
    /// The project's team.
    Team,
    /// The person just added to the team.
    Added,
}

/// Who hears of an event, and the category it is mailed under.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub event: Event,
    pub category: Category,
    pub audience: &'static [Audience],
}

use Audience as A;

/// One rule per event.
pub const RULES: &[Rule] = &[
    rule(Event::TaskAssigned, Category::Assignments, &[A::Assignee]),
    // Someone else changed a task's start or due date (an edit, a bulk shift, a reschedule
    // applied): its assignee plans by those dates.
    rule(Event::TaskDatesMoved, Category::Assignments, &[A::Assignee]),
    rule(Event::TaskDueSoon, Category::Deadlines, &[A::Assignee]),
    rule(Event::TaskDueTomorrow, Category::Deadlines, &[A::Assignee]),
    rule(
        Event::TaskOverdue,
        Category::Deadlines,
        &[A::Assignee, A::Managers],
    ),
    rule(
        Event::TaskCompleted,
        Category::Assignments,
        &[A::Creator, A::Managers],
    ),
    rule(Event::ReviewRequested, Category::Reviews, &[A::Reviewers]),
    rule(
        Event::ReviewDecided,
        Category::Reviews,
        &[A::Submitter, A::Followers],
    ),
    rule(
        Event::MaterialLate,
        Category::Deadlines,
        &[A::Managers, A::Followers],
    ),
    rule(
        Event::ItemReady,
        Category::Production,
        &[A::Managers, A::Followers],
    ),
    rule(
        Event::ItemReleased,
        Category::Production,
        &[A::Managers, A::Followers],
    ),
    rule(Event::Commented, Category::Comments, &[A::Followers]),
    rule(Event::Mentioned, Category::Mentions, &[A::Mentioned]),
    rule(Event::ProjectStatusChanged, Category::Projects, &[A::Team]),
    rule(Event::AddedToTeam, Category::Projects, &[A::Added]),
    rule(Event::RoomReady, Category::Site, &[A::Managers]),
    // Snags: the responsible person is the assignee, whoever raised it the creator.
    rule(Event::SnagRaised, Category::Assignments, &[A::Managers]),
    rule(Event::SnagAssigned, Category::Assignments, &[A::Assignee]),
    rule(Event::SnagDue, Category::Deadlines, &[A::Assignee]),
    rule(
        Event::SnagOverdue,
        Category::Deadlines,
        &[A::Assignee, A::Managers],
    ),
    rule(Event::SnagFixed, Category::Assignments, &[A::Creator]),
    rule(Event::SnagClosed, Category::Assignments, &[A::Creator]),
    // Variations: the client users who decide (the reviewers) and the project manager hear
    // of a submission; whoever raised it (the creator) and the project manager of a decision.
    rule(
        Event::VariationSubmitted,
        Category::Reviews,
        &[A::Reviewers, A::Managers],
    ),
    rule(
        Event::VariationDecided,
        Category::Reviews,
        &[A::Creator, A::Managers],
    ),
    // RFIs: the user addressed is the assignee, whoever raised it the creator.
    rule(Event::RfiAddressed, Category::Assignments, &[A::Assignee]),
    rule(
        Event::RfiAnswered,
        Category::Assignments,
        &[A::Creator, A::Managers],
    ),
    rule(
        Event::RfiOverdue,
        Category::Deadlines,
        &[A::Assignee, A::Creator],
    ),
    // Purchase orders: whoever may approve a new order (the use case names them: the
    // project's managers within the approval limit, executives and administrators above
    // it) are its reviewers; whoever raised it (the creator) hears of its approval.
    rule(
        Event::PoAwaitingApproval,
        Category::Reviews,
        &[A::Reviewers],
    ),
    rule(Event::PoApproved, Category::Reviews, &[A::Creator]),
    // Purchasing: whoever raised the order is its creator.
    rule(
        Event::GoodsReceived,
        Category::Assignments,
        &[A::Creator, A::Managers],
    ),
    rule(
        Event::DeliveryLate,
        Category::Deadlines,
        &[A::Creator, A::Managers],
    ),
    // Delivery notes: a dispatch is news to the site team (the use case names the project's
    // managers and coordinators) and the project's followers; a receipt to the managers and
    // whoever planned the note (its creator).
    rule(
        Event::DeliveryDispatched,
        Category::Site,
        &[A::Managers, A::Followers],
    ),
    rule(
        Event::DeliveryReceived,
        Category::Site,
        &[A::Creator, A::Managers],
    ),
    // The workshop: a failed QA check sends a quantity back (the use case names the
    // project's managers and coordinators; the item's followers hear too).
    rule(
        Event::QaFailed,
        Category::Production,
        &[A::Managers, A::Followers],
    ),
    // An item late in the workshop against its installation date, daily while it is: the
    // use case names the project's manager and the team members who may move production.
    rule(Event::WorkshopLate, Category::Production, &[A::Managers]),
    // An item whose millwork chain no longer fits before its installation date, once per
    // set of reasons: the use case names the project's manager and team project managers;
    // the item's followers hear too.
    rule(
        Event::ItemAtRisk,
        Category::Deadlines,
        &[A::Managers, A::Followers],
    ),
];

const fn rule(event: Event, category: Category, audience: &'static [Audience]) -> Rule {
    Rule {
        event,
        category,
        audience,
    }
}

impl Event {
    /// This event's rule.
    pub fn rule(self) -> &'static Rule {
        RULES.iter().find(|r| r.event == self).unwrap_or(&RULES[0])
    }

    pub fn category(self) -> Category {
        self.rule().category
    }
}

/// The people who play each part in one event (those the use case knows of).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parties {
    pub assignee: Option<Uuid>,
    pub creator: Option<Uuid>,
    pub managers: Vec<Uuid>,
    pub reviewers: Vec<Uuid>,
    pub submitter: Option<Uuid>,
    pub followers: Vec<Uuid>,
    pub mentioned: Vec<Uuid>,
    pub team: Vec<Uuid>,
    pub added: Option<Uuid>,
}

impl Parties {
    fn playing(&self, part: Audience) -> Vec<Uuid> {
        match part {
            A::Assignee => self.assignee.into_iter().collect(),
            A::Creator => self.creator.into_iter().collect(),
            A::Managers => self.managers.clone(),
            A::Reviewers => self.reviewers.clone(),
            A::Submitter => self.submitter.into_iter().collect(),
            A::Followers => self.followers.clone(),
            A::Mentioned => self.mentioned.clone(),
            A::Team => self.team.clone(),
            A::Added => self.added.into_iter().collect(),
        }
    }
}

/// What [`recipients`] needs to know of a possible recipient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    pub id: Uuid,
    /// Active, and able to see the record now.
    pub sees_record: bool,
    /// On the contractor's side (may read internal records and comments).
    pub staff: bool,
}

/// Who is told of `event`: the people its rule names, once each, in a stable order, except
/// `actor` (whoever did it), anyone who cannot see the record, client users when it is
/// `internal`, and anyone in `except` (told of the same change by a more specific event,
/// such as a mention rather than a new comment). `readers` are the active people who may
/// see the project; anyone not among them is not told.
pub fn recipients(
    event: Event,
    parties: &Parties,
    actor: Option<Uuid>,
    internal: bool,
    readers: &[Reader],
    except: &[Uuid],
) -> Vec<Uuid> {
    let mut out: Vec<Uuid> = Vec::new();
    for part in event.rule().audience {
        for id in parties.playing(*part) {
            if out.contains(&id) || Some(id) == actor || except.contains(&id) {
                continue;
            }
            let Some(reader) = readers.iter().find(|r| r.id == id) else {
                continue;
            };
            if reader.sees_record && (reader.staff || !internal) {
                out.push(id);
            }
        }
    }
    out
}

/// One notification, as its recipient reads it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub user_id: Uuid,
    pub project_id: Uuid,
    pub project_code: String,
    pub record_kind: RecordKind,
    pub record_id: Uuid,
    /// The comment it is about, for new comments and mentions.
    pub comment_id: Option<Uuid>,
    pub event: Event,
    pub category: Category,
    pub actor_id: Option<Uuid>,
    pub actor_name: Option<String>,
    /// What happened, in a sentence ("Hannah Keller approved SD-101 rev B as noted").
    pub title: String,
    /// A few words of the comment or decision, as plain text.
    pub excerpt: Option<String>,
    /// The page it is about, relative to the site (with the comment's anchor).
    pub link: String,
    /// About something internal to the contractor.
    pub internal: bool,
    pub email_mode: EmailMode,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub read_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub emailed_at: Option<OffsetDateTime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_has_exactly_one_rule() {
        for e in Event::ALL {
            assert_eq!(RULES.iter().filter(|r| r.event == *e).count(), 1, "{e}");
            assert!(!e.rule().audience.is_empty(), "{e} tells nobody");
        }
        assert_eq!(RULES.len(), Event::ALL.len());
    }

    #[test]
    fn every_category_is_used_and_has_a_default() {
        for c in Category::ALL {
            assert!(RULES.iter().any(|r| r.category == *c), "{c} unused");
            let _ = c.default_mode();
        }
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// Everybody plays every part; the rule decides who hears.
    fn everyone() -> (Parties, Vec<Reader>) {
        let parties = Parties {
            assignee: Some(id(1)),
            creator: Some(id(2)),
            managers: vec![id(3)],
            reviewers: vec![id(4), id(9)],
            submitter: Some(id(5)),
            followers: vec![id(6), id(9)],
            mentioned: vec![id(7)],
            team: vec![id(3), id(8)],
            added: Some(id(10)),
        };
        let mut readers: Vec<Reader> = (1..=10)
            .map(|n| Reader {
                id: id(n),
                sees_record: true,
                staff: true,
            })
            .collect();
        readers[8].staff = false; // 9: a client user (a client approver and follower)
        (parties, readers)
    }

    #[test]
    fn the_recipient_matrix() {
        let (parties, readers) = everyone();
        let expected: &[(Event, &[u128])] = &[
            (Event::TaskAssigned, &[1]),
            (Event::TaskDatesMoved, &[1]),
            (Event::TaskDueSoon, &[1]),
            (Event::TaskDueTomorrow, &[1]),
            (Event::TaskOverdue, &[1, 3]),
            (Event::TaskCompleted, &[2, 3]),
            (Event::ReviewRequested, &[4, 9]),
            (Event::ReviewDecided, &[5, 6, 9]),
            (Event::MaterialLate, &[3, 6, 9]),
            (Event::ItemReady, &[3, 6, 9]),
            (Event::ItemReleased, &[3, 6, 9]),
            (Event::Commented, &[6, 9]),
            (Event::Mentioned, &[7]),
            (Event::ProjectStatusChanged, &[3, 8]),
            (Event::AddedToTeam, &[10]),
            (Event::RoomReady, &[3]),
            (Event::SnagRaised, &[3]),
            (Event::SnagAssigned, &[1]),
            (Event::SnagDue, &[1]),
            (Event::SnagOverdue, &[1, 3]),
            (Event::SnagFixed, &[2]),
            (Event::SnagClosed, &[2]),
            (Event::VariationSubmitted, &[4, 9, 3]),
            (Event::VariationDecided, &[2, 3]),
            (Event::RfiAddressed, &[1]),
            (Event::RfiAnswered, &[2, 3]),
            (Event::RfiOverdue, &[1, 2]),
            (Event::PoAwaitingApproval, &[4, 9]),
            (Event::PoApproved, &[2]),
            (Event::GoodsReceived, &[2, 3]),
            (Event::DeliveryLate, &[2, 3]),
            (Event::DeliveryDispatched, &[3, 6, 9]),
            (Event::DeliveryReceived, &[2, 3]),
            (Event::QaFailed, &[3, 6, 9]),
            (Event::WorkshopLate, &[3]),
            (Event::ItemAtRisk, &[3, 6, 9]),
        ];
        assert_eq!(expected.len(), Event::ALL.len());
        for (event, who) in expected {
            let want: Vec<Uuid> = who.iter().map(|n| id(*n)).collect();
            assert_eq!(
                recipients(*event, &parties, None, false, &readers, &[]),
                want,
                "{event}"
            );
            // Internal: the client user (9) hears nothing.
            let staff_only: Vec<Uuid> = want.iter().copied().filter(|i| *i != id(9)).collect();
            assert_eq!(
                recipients(*event, &parties, None, true, &readers, &[]),
                staff_only,
                "{event} (internal)"
            );
        }
    }

    #[test]
    fn a_moved_task_tells_its_assignee_unless_they_moved_it_or_cannot_see_it() {
        let (parties, mut readers) = everyone();
        let moved = |actor, readers: &[Reader]| {
            recipients(Event::TaskDatesMoved, &parties, actor, false, readers, &[])
        };
        assert_eq!(
            moved(Some(id(3)), &readers),
            vec![id(1)],
            "moved by a manager"
        );
        assert!(
            moved(Some(id(1)), &readers).is_empty(),
            "moved it themselves"
        );
        readers[0].sees_record = false; // 1 no longer sees the task
        assert!(moved(Some(id(3)), &readers).is_empty());
        readers.remove(0); // 1 disabled: not among the readers
        assert!(moved(Some(id(3)), &readers).is_empty());
    }

    #[test]
    fn never_the_actor_the_blind_the_unknown_or_the_excepted() {
        let (parties, mut readers) = everyone();
        assert_eq!(
            recipients(
                Event::ReviewDecided,
                &parties,
                Some(id(5)),
                false,
                &readers,
                &[]
            ),
            vec![id(6), id(9)]
        );
        readers[5].sees_record = false; // 6 lost access
        assert_eq!(
            recipients(Event::ReviewDecided, &parties, None, false, &readers, &[]),
            vec![id(5), id(9)]
        );
        readers.retain(|r| r.id != id(9)); // 9 disabled: not among the readers
        assert_eq!(
            recipients(
                Event::ReviewDecided,
                &parties,
                None,
                false,
                &readers,
                &[id(5)]
            ),
            Vec::<Uuid>::new()
        );
    }
}
