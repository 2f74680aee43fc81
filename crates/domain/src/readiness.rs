//! The production-readiness gate: a scope item may go to the workshop only when its
//! drawings are approved, its materials are specified and approved, and (as the project's
//! materials rule says) those materials are ordered, or delivered. Every blocker is named
//! in plain words.

use std::collections::BTreeMap;

use serde::Serialize;
use time::Date;
use uuid::Uuid;

use crate::drawing::{Drawing, RevisionStatus};
use crate::enums::string_enum;
use crate::scope::{Quantity, ScopeItem, ScopeStatus};
use crate::spec::{Procurement, Spec, SpecStatus};

string_enum!(
    /// Why a scope item cannot go to production yet.
    BlockerKind {
        MissingDrawing => "missing_drawing", "Missing drawing",
        DrawingAwaitingReview => "drawing_awaiting_review", "Drawing awaiting review",
        DrawingReviseResubmit => "drawing_revise_resubmit", "Drawing to revise and resubmit",
        DrawingRejected => "drawing_rejected", "Drawing rejected",
        MissingSpec => "missing_spec", "Missing material spec",
        SpecNotApproved => "spec_not_approved", "Material spec not approved",
        MaterialNotOrdered => "material_not_ordered", "Material not ordered",
        MaterialLate => "material_late", "Material late",
        MaterialNotDelivered => "material_not_delivered", "Material not delivered",
    }
);

string_enum!(
    /// How far a project's linked materials must have come before an item is ready.
    MaterialsRule {
        Approved => "approved", "Approved materials are enough",
        Ordered => "ordered", "Materials must be ordered",
        Delivered => "delivered", "Materials must be delivered in full",
    }
);

impl MaterialsRule {
    /// Whether the rule asks for the materials to be ordered at least.
    pub fn needs_order(self) -> bool {
        self != MaterialsRule::Approved
    }

    /// The rule in a sentence, as the readiness tab states it.
    pub fn sentence(self) -> &'static str {
        match self {
            MaterialsRule::Approved => {
                "Approved materials are enough; they need not be ordered yet."
            }
            MaterialsRule::Ordered => "Linked materials must be ordered before an item is ready.",
            MaterialsRule::Delivered => {
                "Linked materials must be delivered in full before an item is ready."
            }
        }
    }
}

/// One reason an item is blocked, and what it is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Blocker {
    pub kind: BlockerKind,
    /// In plain words: "Drawing SD-101 rev B is waiting for review".
    pub message: String,
    pub drawing_id: Option<Uuid>,
    pub spec_id: Option<Uuid>,
}

/// The readiness of one scope item.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ItemReadiness {
    pub item_id: Uuid,
    pub code: String,
    pub name: String,
    pub group_id: Uuid,
    pub group_name: String,
    pub ready: bool,
    pub blockers: Vec<Blocker>,
    /// Things to look at that do not block ("progress recorded on a blocked item").
    pub warnings: Vec<String>,
    /// Already released to production.
    pub released: bool,
}

/// Readiness of a group, or of the whole project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Rate {
    pub name: String,
    pub items: i64,
    pub ready: i64,
    /// Whole percent of items ready (0 when there are none).
    pub percent: i64,
}

impl Rate {
    fn of(name: &str, items: i64, ready: i64) -> Rate {
        Rate {
            name: name.to_owned(),
            items,
            ready,
            percent: if items == 0 {
                0
            } else {
                (ready * 100 + items / 2) / items
            },
        }
    }
}

/// A thing whose approval or order would unblock items, most first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct NextStep {
    /// What to do, in plain words.
    pub action: String,
    /// Items it blocks now.
    pub items: i64,
    /// Items that would become ready if only this were done.
    pub unblocks: i64,
    pub drawing_id: Option<Uuid>,
    pub spec_id: Option<Uuid>,
}

/// The readiness of a project.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Readiness {
    pub items: Vec<ItemReadiness>,
    pub groups: Vec<Rate>,
    pub overall: Rate,
    pub next_steps: Vec<NextStep>,
    /// How far linked materials must have come before an item is ready (a project setting).
    pub materials_rule: MaterialsRule,
    /// Whether linked materials must be ordered (or delivered) before release: the rule is
    /// `ordered` or `delivered`.
    pub require_materials_ordered: bool,
}

fn drawing_blocker(d: &Drawing) -> Option<Blocker> {
    let blocker = |kind, message: String| Blocker {
        kind,
        message,
        drawing_id: Some(d.id),
        spec_id: None,
    };
    // An approved revision stays in effect while a newer one is drafted or reviewed.
    if d.approved.is_some() {
        return None;
    }
    let Some(c) = &d.current else {
        return Some(blocker(
            BlockerKind::DrawingAwaitingReview,
            format!("Drawing {} has no revision uploaded yet", d.number),
        ));
    };
    match c.status {
        RevisionStatus::Approved | RevisionStatus::ApprovedAsNoted => None,
        RevisionStatus::Draft => Some(blocker(
            BlockerKind::DrawingAwaitingReview,
            format!(
                "Drawing {} rev {} is a draft, not yet submitted for review",
                d.number, c.label
            ),
        )),
        RevisionStatus::Submitted => Some(blocker(
            BlockerKind::DrawingAwaitingReview,
            format!("Drawing {} rev {} is waiting for review", d.number, c.label),
        )),
        RevisionStatus::ReviseAndResubmit => Some(blocker(
            BlockerKind::DrawingReviseResubmit,
            format!(
                "Drawing {} rev {} must be revised and resubmitted",
                d.number, c.label
            ),
        )),
        RevisionStatus::Rejected => Some(blocker(
            BlockerKind::DrawingRejected,
            format!("Drawing {} rev {} was rejected", d.number, c.label),
        )),
    }
}

fn spec_blockers(s: &Spec, rule: MaterialsRule, today: Date) -> Option<Blocker> {
    let blocker = |kind, message: String| Blocker {
        kind,
        message,
        drawing_id: None,
        spec_id: Some(s.id),
    };
    if s.status != SpecStatus::Approved {
        return Some(blocker(
            BlockerKind::SpecNotApproved,
            format!(
                "Material spec {} is {}",
                s.code,
                s.status.label().to_lowercase()
            ),
        ));
    }
    let procurement = s.procurement.unwrap_or(Procurement::ToOrder);
    if rule.needs_order() && procurement == Procurement::ToOrder {
        return Some(if s.is_late(today) {
            let by = s
                .order_by()
                .map(|d| format!(" (order by {d})"))
                .unwrap_or_default();
            blocker(
                BlockerKind::MaterialLate,
                format!("Material {} is late: not ordered{by}", s.code),
            )
        } else {
            blocker(
                BlockerKind::MaterialNotOrdered,
                format!("Material {} is approved but not ordered yet", s.code),
            )
        });
    }
    if rule == MaterialsRule::Delivered {
        match procurement {
            Procurement::Ordered => {
                let when = s
                    .expected_delivery
                    .map(|d| format!(", expected {d}"))
                    .unwrap_or_default();
                return Some(blocker(
                    BlockerKind::MaterialNotDelivered,
                    format!("Material {} is ordered but not delivered yet{when}", s.code),
                ));
            }
            Procurement::PartiallyDelivered => {
                // The quantity delivered is everything received against it; what is left
                // is known only when less than the specification's quantity arrived.
                let rest = if s.quantity > s.delivered_quantity {
                    let left = Quantity(s.quantity.0 - s.delivered_quantity.0);
                    format!(
                        ": {left} {} of {} {} still to come",
                        s.unit, s.quantity, s.unit
                    )
                } else {
                    String::from(": the rest is still to come")
                };
                return Some(blocker(
                    BlockerKind::MaterialNotDelivered,
                    format!("Material {} is partially delivered{rest}", s.code),
                ));
            }
            _ => {}
        }
    }
    None
}

/// Evaluates every (not cancelled) item of a project against its linked drawings and specs.
pub fn evaluate(
    items: &[ScopeItem],
    drawings: &[Drawing],
    specs: &[Spec],
    rule: MaterialsRule,
    today: Date,
) -> Readiness {
    let mut out = Vec::new();
    for item in items.iter().filter(|i| i.status != ScopeStatus::Cancelled) {
        let mut blockers = Vec::new();
        let linked: Vec<&Drawing> = drawings
            .iter()
            .filter(|d| d.scope_item_ids.contains(&item.id))
            .collect();
        if item.drawing_required && linked.is_empty() {
            blockers.push(Blocker {
                kind: BlockerKind::MissingDrawing,
                message: "No shop drawing is linked, and this item needs one".into(),
                drawing_id: None,
                spec_id: None,
            });
        }
        blockers.extend(linked.iter().filter_map(|d| drawing_blocker(d)));
        let linked: Vec<&Spec> = specs
            .iter()
            .filter(|s| s.scope_item_ids.contains(&item.id))
            .collect();
        if item.spec_required && linked.is_empty() {
            blockers.push(Blocker {
                kind: BlockerKind::MissingSpec,
                message: "No material spec is linked, and this item needs one".into(),
                drawing_id: None,
                spec_id: None,
            });
        }
        blockers.extend(linked.iter().filter_map(|s| spec_blockers(s, rule, today)));
        let mut warnings = Vec::new();
        if !blockers.is_empty() && item.progress > 0 {
            warnings.push(format!(
                "Progress recorded ({} %) while the item is blocked",
                item.progress
            ));
        }
        for d in drawings
            .iter()
            .filter(|d| d.scope_item_ids.contains(&item.id))
        {
            if let Some((a, c)) = d.approved_and_newer() {
                let state = match c.status {
                    RevisionStatus::Draft => "a draft",
                    RevisionStatus::ReviseAndResubmit => "sent back for revision",
                    other => other.short(),
                };
                warnings.push(format!(
                    "Drawing {} rev {} is {state}; approved rev {} stays in effect",
                    d.number, c.label, a.label
                ));
            }
        }
        out.push(ItemReadiness {
            item_id: item.id,
            code: item.code.clone(),
            name: item.name.clone(),
            group_id: item.group_id,
            group_name: item.group_name.clone(),
            ready: blockers.is_empty(),
            blockers,
            warnings,
            released: false,
        });
    }

    let mut groups: Vec<Rate> = Vec::new();
    for r in &out {
        match groups.iter_mut().find(|g| g.name == r.group_name) {
            Some(g) => {
                g.items += 1;
                g.ready += i64::from(r.ready);
            }
            None => groups.push(Rate::of(&r.group_name, 1, i64::from(r.ready))),
        }
    }
    let groups = groups
        .into_iter()
        .map(|g| Rate::of(&g.name, g.items, g.ready))
        .collect();
    let ready = out.iter().filter(|r| r.ready).count();
    let overall = Rate::of(
        "All items",
        i64::try_from(out.len()).unwrap_or(0),
        i64::try_from(ready).unwrap_or(0),
    );
    Readiness {
        next_steps: next_steps(&out, drawings, specs),
        items: out,
        groups,
        overall,
        materials_rule: rule,
        require_materials_ordered: rule.needs_order(),
    }
}

/// What to do next: each blocking drawing or spec, by how many items it holds up.
fn next_steps(items: &[ItemReadiness], drawings: &[Drawing], specs: &[Spec]) -> Vec<NextStep> {
    #[derive(PartialEq, Eq, PartialOrd, Ord, Clone, Copy)]
    enum Key {
        Drawing(Uuid),
        Spec(Uuid),
        MissingDrawings,
        MissingSpecs,
    }
    let key_of = |b: &Blocker| match (b.drawing_id, b.spec_id, b.kind) {
        (Some(d), _, _) => Key::Drawing(d),
        (_, Some(s), _) => Key::Spec(s),
        (_, _, BlockerKind::MissingDrawing) => Key::MissingDrawings,
        _ => Key::MissingSpecs,
    };
    let mut tally: BTreeMap<Key, (i64, i64)> = BTreeMap::new();
    for item in items.iter().filter(|i| !i.ready) {
        let mut keys: Vec<Key> = item.blockers.iter().map(key_of).collect();
        keys.sort();
        keys.dedup();
        let only = keys.len() == 1;
        for k in keys {
            let e = tally.entry(k).or_default();
            e.0 += 1;
            e.1 += i64::from(only);
        }
    }
    let mut steps: Vec<NextStep> = tally
        .into_iter()
        .map(|(k, (n, unblocks))| {
            let (action, drawing_id, spec_id) = match k {
                Key::Drawing(id) => {
                    let d = drawings.iter().find(|d| d.id == id);
                    let number = d.map_or("?", |d| d.number.as_str());
                    let what = match d.map(Drawing::status) {
                        Some(RevisionStatus::Submitted) => "Review",
                        Some(RevisionStatus::Draft) if d.is_some_and(|d| d.current.is_some()) => {
                            "Submit"
                        }
                        Some(RevisionStatus::ReviseAndResubmit | RevisionStatus::Rejected) => {
                            "Revise and resubmit"
                        }
                        _ => "Upload",
                    };
                    (format!("{what} drawing {number}"), Some(id), None)
                }
                Key::Spec(id) => {
                    let s = specs.iter().find(|s| s.id == id);
                    let code = s.map_or("?", |s| s.code.as_str());
                    let what = match s {
                        Some(s) if s.status != SpecStatus::Approved => {
                            "Get approval for material spec"
                        }
                        Some(s) if s.procurement.is_some_and(Procurement::is_ordered) => {
                            "Receive the delivery of material"
                        }
                        _ => "Order material",
                    };
                    (format!("{what} {code}"), None, Some(id))
                }
                Key::MissingDrawings => ("Add and link shop drawings".into(), None, None),
                Key::MissingSpecs => ("Add and link material specs".into(), None, None),
            };
            NextStep {
                action,
                items: n,
                unblocks,
                drawing_id,
                spec_id,
            }
        })
        .collect();
    steps.sort_by(|a, b| {
        (b.unblocks, b.items)
            .cmp(&(a.unblocks, a.items))
            .then_with(|| a.action.cmp(&b.action))
    });
    steps
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drawing::{DrawingKind, RevisionScheme, RevisionSummary};
    use time::OffsetDateTime;
    use time::macros::date;

    fn item(code: &str, drawing: bool, spec: bool) -> ScopeItem {
        ScopeItem {
            id: Uuid::now_v7(),
            project_id: Uuid::nil(),
            group_id: Uuid::nil(),
            group_name: "Millwork".into(),
            code: code.into(),
            name: code.into(),
            description: None,
            location: None,
            quantity: Quantity::units(1),
            unit: "pcs".into(),
            unit_price_minor: None,
            total_minor: None,
            budget_cost_minor: None,
            actual_cost_minor: None,
            currency: "USD".into(),
            status: ScopeStatus::InProgress,
            progress: 10,
            drawing_required: drawing,
            spec_required: spec,
            position: 0,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            updated_by_name: None,
            version: 1,
            released_at: None,
            released_by_name: None,
            release_note: None,
            install_on: None,
            placement: Default::default(),
        }
    }

    fn drawing(number: &str, status: Option<RevisionStatus>, items: Vec<Uuid>) -> Drawing {
        Drawing {
            id: Uuid::now_v7(),
            project_id: Uuid::nil(),
            number: number.into(),
            title: number.into(),
            kind: DrawingKind::Detail,
            area: None,
            scheme: RevisionScheme::Letters,
            current: status.map(|status| RevisionSummary {
                id: Uuid::now_v7(),
                label: "B".into(),
                status,
                submitted_at: None,
            }),
            approved: None,
            shared: None,
            scope_item_ids: items,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            version: 1,
        }
    }

    #[test]
    fn every_blocker_is_named_and_ready_items_pass() {
        let a = item("M-1", true, false);
        let b = item("M-2", true, false);
        let c = item("M-3", false, false);
        let d1 = drawing("SD-1", Some(RevisionStatus::ApprovedAsNoted), vec![a.id]);
        let d2 = drawing("SD-2", Some(RevisionStatus::ReviseAndResubmit), vec![b.id]);
        let r = evaluate(
            &[a.clone(), b.clone(), c],
            &[d1, d2.clone()],
            &[],
            MaterialsRule::Ordered,
            date!(2026 - 01 - 01),
        );
        assert!(r.items[0].ready);
        assert!(!r.items[1].ready);
        assert_eq!(
            r.items[1].blockers[0].kind,
            BlockerKind::DrawingReviseResubmit
        );
        assert_eq!(
            r.items[1].blockers[0].message,
            "Drawing SD-2 rev B must be revised and resubmitted"
        );
        assert_eq!(r.items[1].warnings.len(), 1, "progress on a blocked item");
        assert!(r.items[2].ready, "nothing required, nothing linked");
        assert_eq!(
            (r.overall.items, r.overall.ready, r.overall.percent),
            (3, 2, 67)
        );
        assert_eq!(r.next_steps[0].action, "Revise and resubmit drawing SD-2");
        assert_eq!((r.next_steps[0].items, r.next_steps[0].unblocks), (1, 1));
        assert_eq!(r.next_steps[0].drawing_id, Some(d2.id));
    }

    #[test]
    fn missing_links_block_required_items() {
        let a = item("M-1", true, true);
        let r = evaluate(
            &[a],
            &[],
            &[],
            MaterialsRule::Ordered,
            date!(2026 - 01 - 01),
        );
        let kinds: Vec<BlockerKind> = r.items[0].blockers.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            [BlockerKind::MissingDrawing, BlockerKind::MissingSpec]
        );
        assert_eq!(r.next_steps.len(), 2);
        assert_eq!(r.next_steps[0].unblocks, 0, "two things are missing");
    }

    #[test]
    fn a_newer_draft_or_review_leaves_the_approved_revision_in_effect() {
        let a = item("M-1", true, false);
        let rev = |label: &str, status| RevisionSummary {
            id: Uuid::now_v7(),
            label: label.into(),
            status,
            submitted_at: None,
        };
        let mut d = drawing("SD-101", None, vec![a.id]);
        d.approved = Some(rev("B", RevisionStatus::Approved));
        for newer in [
            RevisionStatus::Draft,
            RevisionStatus::Submitted,
            RevisionStatus::ReviseAndResubmit,
            RevisionStatus::Rejected,
        ] {
            d.current = Some(rev("C", newer));
            let r = evaluate(
                std::slice::from_ref(&a),
                std::slice::from_ref(&d),
                &[],
                MaterialsRule::Approved,
                date!(2026 - 01 - 01),
            );
            assert!(r.items[0].ready, "rev C {newer:?} must not block: {r:?}");
            let state = match newer {
                RevisionStatus::Draft => "a draft",
                RevisionStatus::Submitted => "in review",
                RevisionStatus::ReviseAndResubmit => "sent back for revision",
                _ => "rejected",
            };
            assert_eq!(
                r.items[0].warnings,
                [format!(
                    "Drawing SD-101 rev C is {state}; approved rev B stays in effect"
                )]
            );
            assert!(r.next_steps.is_empty());
        }
        // Without an approved revision, a draft blocks as before.
        d.approved = None;
        d.current = Some(rev("A", RevisionStatus::Draft));
        let r = evaluate(
            &[a],
            &[d],
            &[],
            MaterialsRule::Approved,
            date!(2026 - 01 - 01),
        );
        assert_eq!(
            r.items[0].blockers[0].message,
            "Drawing SD-101 rev A is a draft, not yet submitted for review"
        );
    }

    fn spec(code: &str, items: Vec<Uuid>, procurement: Procurement, delivered: i64) -> Spec {
        Spec {
            id: Uuid::now_v7(),
            project_id: Uuid::nil(),
            code: code.into(),
            description: "Walnut veneer".into(),
            category: crate::spec::SpecCategory::Veneer,
            material: None,
            finish: None,
            colour: None,
            dimensions: None,
            hardware: None,
            quantity: Quantity::units(10),
            unit: "m2".into(),
            unit_cost_minor: None,
            total_minor: None,
            currency: "USD".into(),
            supplier: None,
            supplier_contact: None,
            supplier_id: None,
            supplier_name: None,
            supplier_contact_id: None,
            supplier_contact_name: None,
            part_number: None,
            lead_time_days: None,
            location: None,
            phase: None,
            needed_on: None,
            status: SpecStatus::Approved,
            procurement: Some(procurement),
            po_number: None,
            order_date: None,
            expected_delivery: Some(date!(2026 - 02 - 01)),
            delivered_quantity: Quantity::units(delivered),
            scope_item_ids: items,
            drawing_ids: vec![],
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            updated_by_name: None,
            version: 1,
        }
    }

    /// The kinds blocking the one item linked to a spec at `procurement`, under `rule`.
    fn blocked_by(rule: MaterialsRule, procurement: Procurement) -> Vec<BlockerKind> {
        let a = item("M-1", false, true);
        let s = spec("V-01", vec![a.id], procurement, 0);
        let r = evaluate(&[a], &[], &[s], rule, date!(2026 - 01 - 01));
        assert_eq!(r.materials_rule, rule);
        assert_eq!(r.require_materials_ordered, rule != MaterialsRule::Approved);
        r.items[0].blockers.iter().map(|b| b.kind).collect()
    }

    #[test]
    fn the_materials_rule_asks_for_approval_an_order_or_the_delivery() {
        use MaterialsRule as R;
        use Procurement as P;
        let none: Vec<BlockerKind> = Vec::new();
        for p in [
            P::ToOrder,
            P::Ordered,
            P::PartiallyDelivered,
            P::Delivered,
            P::Installed,
        ] {
            assert_eq!(
                blocked_by(R::Approved, p),
                none,
                "approved is enough: {p:?}"
            );
        }
        assert_eq!(
            blocked_by(R::Ordered, P::ToOrder),
            [BlockerKind::MaterialNotOrdered]
        );
        for p in [
            P::Ordered,
            P::PartiallyDelivered,
            P::Delivered,
            P::Installed,
        ] {
            assert_eq!(blocked_by(R::Ordered, p), none, "ordered is enough: {p:?}");
        }
        assert_eq!(
            blocked_by(R::Delivered, P::ToOrder),
            [BlockerKind::MaterialNotOrdered]
        );
        for p in [P::Ordered, P::PartiallyDelivered] {
            assert_eq!(
                blocked_by(R::Delivered, p),
                [BlockerKind::MaterialNotDelivered],
                "{p:?}"
            );
        }
        for p in [P::Delivered, P::Installed] {
            assert_eq!(
                blocked_by(R::Delivered, p),
                none,
                "delivered in full: {p:?}"
            );
        }
    }

    #[test]
    fn a_partial_delivery_names_what_is_still_to_come() {
        let a = item("M-1", false, true);
        let b = item("M-2", false, true);
        let part = spec("V-01", vec![a.id], Procurement::PartiallyDelivered, 4);
        let ordered = spec("V-02", vec![b.id], Procurement::Ordered, 0);
        let r = evaluate(
            &[a, b],
            &[],
            &[part.clone(), ordered],
            MaterialsRule::Delivered,
            date!(2026 - 01 - 01),
        );
        assert_eq!(
            r.items[0].blockers[0].message,
            "Material V-01 is partially delivered: 6 m2 of 10 m2 still to come"
        );
        assert_eq!(
            r.items[1].blockers[0].message,
            "Material V-02 is ordered but not delivered yet, expected 2026-02-01"
        );
        assert_eq!(r.overall.ready, 0);
        let steps: Vec<&str> = r.next_steps.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(
            steps,
            [
                "Receive the delivery of material V-01",
                "Receive the delivery of material V-02"
            ]
        );
        // Everything (or more) received, yet the state not moved on: still named plainly.
        let mut over = part;
        over.delivered_quantity = Quantity::units(12);
        let c = item("M-3", false, true);
        over.scope_item_ids = vec![c.id];
        let r = evaluate(
            &[c],
            &[],
            &[over],
            MaterialsRule::Delivered,
            date!(2026 - 01 - 01),
        );
        assert_eq!(
            r.items[0].blockers[0].message,
            "Material V-01 is partially delivered: the rest is still to come"
        );
    }

    #[test]
    fn the_rule_reads_and_writes_its_words() {
        for r in [
            MaterialsRule::Approved,
            MaterialsRule::Ordered,
            MaterialsRule::Delivered,
        ] {
            assert_eq!(r.as_str().parse::<MaterialsRule>().ok(), Some(r));
        }
        assert!("always".parse::<MaterialsRule>().is_err());
    }
}
