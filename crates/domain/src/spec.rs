//! Material specifications: what is specified, its approval (through the review workflow,
//! `crate::review`), and its procurement from order to installation, with the order-by date
//! that says when it is late.

use serde::Serialize;
use time::{Date, Duration, OffsetDateTime};
use uuid::Uuid;

use crate::enums::string_enum;
use crate::review::{Decided, Reviewable, review_words};
use crate::scope::Quantity;

string_enum!(
    /// What kind of material.
    SpecCategory {
        Wood => "wood", "Wood",
        Veneer => "veneer", "Veneer",
        Laminate => "laminate", "Laminate",
        SolidSurface => "solid_surface", "Solid surface",
        Stone => "stone", "Stone",
        Metal => "metal", "Metal",
        Glass => "glass", "Glass",
        Hardware => "hardware", "Hardware",
        Finish => "finish", "Finish",
        Fabric => "fabric", "Fabric",
        Lighting => "lighting", "Lighting",
        Other => "other", "Other",
    }
);

review_words!(
    /// Where a specification is in its approval.
    SpecStatus {
        Draft => "draft", "Draft",
        Submitted => "submitted", "Submitted for approval",
        Approved => "approved", "Approved",
        ReviseAndResubmit => "revise_and_resubmit", "Revise and resubmit",
        Rejected => "rejected", "Rejected",
    }
    /// An approver's decision on a submitted specification.
    SpecDecision {
        Approved => "approved", "Approve",
        ReviseAndResubmit => "revise_and_resubmit", "Revise and resubmit",
        Rejected => "rejected", "Reject",
    }
);

string_enum!(
    /// Procurement of an approved specification.
    Procurement {
        ToOrder => "to_order", "To order",
        Ordered => "ordered", "Ordered",
        PartiallyDelivered => "partially_delivered", "Partially delivered",
        Delivered => "delivered", "Delivered",
        Installed => "installed", "Installed",
    }
);

impl Procurement {
    /// Ordered or further along.
    pub fn is_ordered(self) -> bool {
        self != Procurement::ToOrder
    }

    /// The steps that may follow this one.
    pub fn allowed_next(self) -> &'static [Procurement] {
        use Procurement::*;
        match self {
            ToOrder => &[Ordered],
            Ordered => &[PartiallyDelivered, Delivered],
            PartiallyDelivered => &[PartiallyDelivered, Delivered],
            Delivered => &[Installed],
            Installed => &[],
        }
    }
}

/// A material specification of a project.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Spec {
    pub id: Uuid,
    pub project_id: Uuid,
    /// Spec code / SKU, unique per project.
    pub code: String,
    pub description: String,
    pub category: SpecCategory,
    pub material: Option<String>,
    pub finish: Option<String>,
    pub colour: Option<String>,
    pub dimensions: Option<String>,
    pub hardware: Option<String>,
    pub quantity: Quantity,
    pub unit: String,
    pub unit_cost_minor: Option<i64>,
    pub total_minor: Option<i64>,
    pub currency: String,
    /// The supplier as typed before the directory (free text), kept for history and never
    /// written any more; shown only when the specification has no `supplier_id`, as "(not
    /// in the directory)".
    pub supplier: Option<String>,
    /// The supplier's contact as typed before the directory (free text, read-only history).
    pub supplier_contact: Option<String>,
    /// The supplier in the directory.
    pub supplier_id: Option<Uuid>,
    /// Its name in the directory.
    pub supplier_name: Option<String>,
    /// The contact at that supplier (one of its contacts in the directory).
    pub supplier_contact_id: Option<Uuid>,
    /// The contact's name in the directory.
    pub supplier_contact_name: Option<String>,
    pub part_number: Option<String>,
    pub lead_time_days: Option<i32>,
    pub location: Option<String>,
    pub phase: Option<String>,
    /// When the material must be on site.
    pub needed_on: Option<Date>,
    pub status: SpecStatus,
    /// Set once approved.
    pub procurement: Option<Procurement>,
    pub po_number: Option<String>,
    pub order_date: Option<Date>,
    pub expected_delivery: Option<Date>,
    pub delivered_quantity: Quantity,
    pub scope_item_ids: Vec<Uuid>,
    pub drawing_ids: Vec<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub updated_by_name: Option<String>,
    pub version: i64,
}

impl SpecStatus {
    /// Submitted or approved: the content is fixed (only the links may change).
    pub fn is_locked(self) -> bool {
        matches!(self, SpecStatus::Approved | SpecStatus::Submitted)
    }
}

impl Spec {
    /// The last day to order so it arrives when needed: needed-on-site date − lead time.
    pub fn order_by(&self) -> Option<Date> {
        let needed = self.needed_on?;
        Some(needed - Duration::days(i64::from(self.lead_time_days.unwrap_or(0))))
    }

    /// Not ordered yet and past its order-by date.
    pub fn is_late(&self, today: Date) -> bool {
        !self.procurement.is_some_and(Procurement::is_ordered)
            && self.status != SpecStatus::Rejected
            && self.order_by().is_some_and(|d| today > d)
    }

    /// Cost of what was delivered so far.
    pub fn delivered_cost(&self) -> i64 {
        self.unit_cost_minor
            .and_then(|c| self.delivered_quantity.times(c))
            .unwrap_or(0)
    }
}

/// An approver's recorded decision.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SpecReview {
    pub id: Uuid,
    pub spec_id: Uuid,
    pub reviewer_id: Option<Uuid>,
    pub reviewer_name: Option<String>,
    pub decision: SpecDecision,
    pub comments: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A specification is reviewed itself: sent back, it is edited and submitted again.
impl Reviewable for Spec {
    type Status = SpecStatus;
    type Record = SpecReview;
    const RESUBMITTED_IN_PLACE: bool = true;

    fn review_status(&self) -> SpecStatus {
        self.status
    }

    /// Approval puts the material on the order list.
    fn enter(&mut self, status: SpecStatus, by: &str, at: OffsetDateTime) {
        self.status = status;
        if status == SpecStatus::Approved {
            self.procurement = Some(Procurement::ToOrder);
        }
        self.updated_at = at;
        self.updated_by_name = Some(by.to_owned());
    }

    fn record(&self, d: Decided<SpecDecision>) -> SpecReview {
        SpecReview {
            id: d.id,
            spec_id: self.id,
            reviewer_id: d.reviewer_id,
            reviewer_name: d.reviewer_name,
            decision: d.decision,
            comments: d.comments,
            at: d.at,
        }
    }
}

/// Budget, committed and actual cost of one category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CategoryCost {
    pub category: SpecCategory,
    /// All specifications that are not rejected.
    pub budget_minor: i64,
    /// Ordered or further along.
    pub committed_minor: i64,
    /// Delivered so far.
    pub actual_minor: i64,
}

/// Costs by category, in the order of [`SpecCategory::ALL`], only categories in use.
pub fn cost_summary(specs: &[Spec]) -> Vec<CategoryCost> {
    SpecCategory::ALL
        .iter()
        .filter_map(|cat| {
            let of: Vec<&Spec> = specs
                .iter()
                .filter(|s| s.category == *cat && s.status != SpecStatus::Rejected)
                .collect();
            if of.is_empty() {
                return None;
            }
            let total = |s: &&Spec| s.total_minor.unwrap_or(0);
            Some(CategoryCost {
                category: *cat,
                budget_minor: of.iter().map(total).sum(),
                committed_minor: of
                    .iter()
                    .filter(|s| s.procurement.is_some_and(Procurement::is_ordered))
                    .map(total)
                    .sum(),
                actual_minor: of.iter().map(|s| s.delivered_cost()).sum(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn spec() -> Spec {
        Spec {
            id: Uuid::nil(),
            project_id: Uuid::nil(),
            code: "V-01".into(),
            description: "Walnut veneer".into(),
            category: SpecCategory::Veneer,
            material: None,
            finish: None,
            colour: None,
            dimensions: None,
            hardware: None,
            quantity: Quantity::units(10),
            unit: "m²".into(),
            unit_cost_minor: Some(5_000),
            total_minor: Some(50_000),
            currency: "USD".into(),
            supplier: None,
            supplier_contact: None,
            supplier_id: None,
            supplier_name: None,
            supplier_contact_id: None,
            supplier_contact_name: None,
            part_number: None,
            lead_time_days: Some(21),
            location: None,
            phase: None,
            needed_on: Some(date!(2026 - 03 - 31)),
            status: SpecStatus::Approved,
            procurement: Some(Procurement::ToOrder),
            po_number: None,
            order_date: None,
            expected_delivery: None,
            delivered_quantity: Quantity::units(4),
            scope_item_ids: vec![],
            drawing_ids: vec![],
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            updated_by_name: None,
            version: 1,
        }
    }

    #[test]
    fn order_by_is_needed_date_minus_lead_time() {
        let s = spec();
        assert_eq!(s.order_by(), Some(date!(2026 - 03 - 10)));
        assert!(!s.is_late(date!(2026 - 03 - 10)));
        assert!(s.is_late(date!(2026 - 03 - 11)));
        let ordered = Spec {
            procurement: Some(Procurement::Ordered),
            ..spec()
        };
        assert!(!ordered.is_late(date!(2026 - 04 - 30)));
    }

    #[test]
    fn costs_by_category() {
        let ordered = Spec {
            procurement: Some(Procurement::Ordered),
            ..spec()
        };
        let c = cost_summary(&[spec(), ordered]);
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].budget_minor, c[0].committed_minor, c[0].actual_minor),
            (100_000, 50_000, 40_000)
        );
    }

    #[test]
    fn procurement_moves_forward_only() {
        assert_eq!(Procurement::ToOrder.allowed_next(), &[Procurement::Ordered]);
        assert!(Procurement::Installed.allowed_next().is_empty());
        assert!(!Procurement::ToOrder.is_ordered() && Procurement::Delivered.is_ordered());
    }

    #[test]
    fn approval_puts_the_material_on_the_order_list() {
        let at = OffsetDateTime::UNIX_EPOCH + Duration::days(1);
        let mut s = Spec {
            status: SpecStatus::Submitted,
            procurement: None,
            ..spec()
        };
        s.enter(SpecStatus::ReviseAndResubmit, "Paula", at);
        assert_eq!(s.procurement, None);
        s.enter(SpecStatus::Approved, "Paula", at);
        assert_eq!(s.procurement, Some(Procurement::ToOrder));
        assert_eq!(
            (s.updated_at, s.updated_by_name.as_deref()),
            (at, Some("Paula"))
        );
    }
}
