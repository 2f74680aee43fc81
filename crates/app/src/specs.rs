//! Material specifications: adding and editing them, approval (through the review workflow,
//! `crate::review`), procurement from order to installation, and the cost summary by category.

use formula_domain::audit::AuditEntry;
use formula_domain::authz::{Action, ProjectAccess, Resource, authorize};
use formula_domain::comment::RecordKind;
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::review::{StatusWord, shown_to};
use formula_domain::scope::Quantity;
use formula_domain::spec::{
    CategoryCost, Procurement, Spec, SpecCategory, SpecDecision, SpecReview, SpecStatus,
    cost_summary,
};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::query::ScopeQuery;
use crate::repos::SpecOrderLine;
use crate::review::{Loaded, ReviewKind};
use crate::scope::{check_code, check_money, normalise_unit};
use crate::services::{Services, audit, changes, check_version, created, double_option, ensure};

/// A specification to add, or (with `version`) the fields to change; absent fields stay,
/// `null` clears. Money in minor units of the project currency.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecInput {
    pub code: Option<String>,
    pub description: Option<String>,
    pub category: Option<SpecCategory>,
    #[serde(default, deserialize_with = "double_option")]
    pub material: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub finish: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub colour: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub dimensions: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub hardware: Option<Option<String>>,
    pub quantity: Option<Quantity>,
    pub unit: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub unit_cost_minor: Option<Option<i64>>,
    /// The supplier in the directory (`null`: none). An archived one is refused unless the
    /// specification names it already. When the lead time is not given and the
    /// specification has none, the supplier's usual lead time is taken. Changing the
    /// supplier clears the contact unless `supplier_contact_id` is given too.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub supplier_id: Option<Option<Uuid>>,
    /// One of the supplier's contacts in the directory (`null`: none); refused if it is
    /// not a contact of the specification's supplier.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub supplier_contact_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "double_option")]
    pub part_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub lead_time_days: Option<Option<i32>>,
    #[serde(default, deserialize_with = "double_option")]
    pub location: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub phase: Option<Option<String>>,
    /// When the material must be on site (YYYY-MM-DD).
    #[serde(default, deserialize_with = "double_option")]
    pub needed_on: Option<Option<Date>>,
    pub scope_item_ids: Option<Vec<Uuid>>,
    pub drawing_ids: Option<Vec<Uuid>>,
    /// The version being changed (or send `If-Match`); not used when adding.
    pub version: Option<i64>,
}

/// An approver's decision.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecReviewInput {
    pub decision: SpecDecision,
    /// Required unless approving.
    #[serde(default)]
    pub comments: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
}

/// A procurement step recorded on the specification itself: only `installed` (once it is
/// delivered). Ordering and delivery come from purchase orders and their goods receipts.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcurementInput {
    pub status: Procurement,
    #[serde(default)]
    pub version: Option<i64>,
}

/// The purchase orders of a specification, for those who may see the project's orders.
#[derive(Debug, Clone, Default)]
pub struct SpecOrders {
    /// `None` when the caller may not see purchase orders.
    pub lines: Option<Vec<SpecOrderLine>>,
    /// Whether the caller may raise an order from it (it is approved and not ordered yet).
    pub may_raise: bool,
}

/// Filters of a project's specifications.
#[derive(Debug, Clone, Default)]
pub struct SpecQuery {
    pub status: Option<SpecStatus>,
    pub category: Option<SpecCategory>,
    pub procurement: Option<Procurement>,
    /// Only those past their order-by date and not ordered.
    pub late: bool,
    pub q: Option<String>,
    /// Covering a scope item placed there.
    pub place: crate::location_filter::LocationFilter,
}

/// A project's specifications with the cost summary.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpecList {
    pub items: Vec<Spec>,
    /// Codes of the specifications that are late (past their order-by date, not ordered).
    pub late: Vec<String>,
    pub costs: Vec<CategoryCost>,
    pub currency: String,
}

/// A specification with its approval history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SpecDetail {
    pub spec: Spec,
    pub reviews: Vec<SpecReview>,
    pub is_late: bool,
    pub order_by: Option<Date>,
}

/// What the caller may do with a project's specifications.
#[derive(Debug, Clone, Copy, Default, Serialize, utoipa::ToSchema)]
pub struct SpecRights {
    pub manage: bool,
    pub approve: bool,
    pub procure: bool,
}

fn text(
    errors: &mut FieldErrors,
    field: &str,
    v: Option<Option<String>>,
    current: &mut Option<String>,
) {
    if let Some(v) = v {
        *current = optional_text(errors, field, v.as_deref(), 500);
    }
}

impl Services {
    /// What the caller may do with this project's specifications.
    pub async fn spec_rights(
        &self,
        caller: &Caller,
        project_id: Uuid,
        access: ProjectAccess,
    ) -> AppResult<SpecRights> {
        let can = |a| authorize(&caller.actor, a, &Resource::Project(access));
        Ok(SpecRights {
            manage: can(Action::ManageSpecs),
            approve: self
                .may_decide(caller, project_id, access, Action::ApproveSpecs)
                .await?,
            procure: can(Action::ManageProcurement),
        })
    }

    fn spec_visible(caller: &Caller, s: &Spec) -> bool {
        shown_to(caller.actor.role, s.status.state())
    }

    pub async fn list_specs(
        &self,
        caller: &Caller,
        project_id: Uuid,
        query: &SpecQuery,
    ) -> AppResult<SpecList> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ViewSpecs, &Resource::Project(access))?;
        let today = self.today();
        let all: Vec<Spec> = self
            .store
            .list_specs(project_id)
            .await?
            .into_iter()
            .filter(|s| Self::spec_visible(caller, s))
            .collect();
        let costs = cost_summary(&all);
        let late = all
            .iter()
            .filter(|s| s.is_late(today))
            .map(|s| s.code.clone())
            .collect();
        let q = query.q.as_deref().map(str::to_lowercase);
        let place = self.items_in_place(project_id, &query.place).await?;
        let places = self.places_matching(project_id, &query.place).await?;
        let mut referred: std::collections::HashMap<Uuid, Vec<Uuid>> =
            std::collections::HashMap::new();
        if places.is_some() {
            for (record, p) in self
                .store
                .project_record_places(crate::repos::PlacesOf::Spec, project_id)
                .await?
            {
                referred.entry(record).or_default().push(p);
            }
        }
        let items = all
            .into_iter()
            .filter(|s| {
                crate::location_filter::covers(&place, &s.scope_item_ids)
                    || crate::location_filter::refers(&places, referred.get(&s.id))
            })
            .filter(|s| query.status.is_none_or(|x| s.status == x))
            .filter(|s| query.category.is_none_or(|x| s.category == x))
            .filter(|s| query.procurement.is_none_or(|x| s.procurement == Some(x)))
            .filter(|s| !query.late || s.is_late(today))
            .filter(|s| {
                q.as_deref().is_none_or(|q| {
                    s.code.to_lowercase().contains(q) || s.description.to_lowercase().contains(q)
                })
            })
            .collect();
        Ok(SpecList {
            items,
            late,
            costs,
            currency: project.currency,
        })
    }

    pub(crate) async fn spec_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<(Spec, ProjectAccess)> {
        let s = self
            .store
            .get_spec(id)
            .await?
            .ok_or(AppError::NotFound("specification"))?;
        let access = self
            .access_for(caller, s.project_id)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("specification"),
                other => other,
            })?;
        if !Self::spec_visible(caller, &s) {
            return Err(AppError::NotFound("specification"));
        }
        ensure(caller, action, &Resource::Project(access))?;
        Ok((s, access))
    }

    /// The order lines that order the specification, and whether the caller may raise one.
    pub async fn spec_orders(&self, caller: &Caller, id: Uuid) -> AppResult<SpecOrders> {
        let (spec, access) = self.spec_for(caller, id, Action::ViewSpecs).await?;
        let resource = Resource::Project(access);
        if !authorize(&caller.actor, Action::ViewPurchaseOrders, &resource) {
            return Ok(SpecOrders::default());
        }
        Ok(SpecOrders {
            lines: Some(self.store.spec_order_lines(id).await?),
            may_raise: authorize(&caller.actor, Action::RaisePurchaseOrders, &resource)
                && spec.status == SpecStatus::Approved
                && spec.procurement.is_none_or(|p| !p.is_ordered()),
        })
    }

    pub async fn get_spec(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<(SpecDetail, ProjectAccess)> {
        let (spec, access) = self.spec_for(caller, id, Action::ViewSpecs).await?;
        let reviews = self.store.list_spec_reviews(id).await?;
        Ok((
            SpecDetail {
                is_late: spec.is_late(self.today()),
                order_by: spec.order_by(),
                spec,
                reviews,
            },
            access,
        ))
    }

    /// Applies the input's fields to `s`, checking each, and re-derives the total.
    pub(crate) async fn apply_spec(
        &self,
        errors: &mut FieldErrors,
        s: &mut Spec,
        input: SpecInput,
    ) -> AppResult<()> {
        if let Some(v) = input.code {
            s.code = check_code(errors, "code", &v);
        }
        if let Some(v) = input.description {
            s.description = required_text(errors, "description", &v, 500);
        }
        if let Some(v) = input.category {
            s.category = v;
        }
        text(errors, "material", input.material, &mut s.material);
        text(errors, "finish", input.finish, &mut s.finish);
        text(errors, "colour", input.colour, &mut s.colour);
        text(errors, "dimensions", input.dimensions, &mut s.dimensions);
        text(errors, "hardware", input.hardware, &mut s.hardware);
        let mut supplier_lead = None;
        if let Some(v) = input.supplier_id {
            let before = s.supplier_id;
            match v {
                None => {
                    s.supplier_id = None;
                    s.supplier_name = None;
                }
                Some(id) => match self.store.get_supplier(id).await? {
                    Some(sup) if sup.archived && s.supplier_id != Some(id) => errors.add(
                        "supplier_id",
                        format!(
                            "{} is archived; bring it back first or choose another",
                            sup.name
                        ),
                    ),
                    Some(sup) => {
                        s.supplier_id = Some(sup.id);
                        s.supplier_name = Some(sup.name);
                        supplier_lead = sup.lead_time_days;
                    }
                    None => errors.add("supplier_id", "must be a supplier in the directory"),
                },
            }
            // Another supplier's contact does not follow the specification to this one.
            if s.supplier_id != before {
                s.supplier_contact_id = None;
                s.supplier_contact_name = None;
            }
        }
        if let Some(v) = input.supplier_contact_id {
            match (v, s.supplier_id) {
                (None, _) => {
                    s.supplier_contact_id = None;
                    s.supplier_contact_name = None;
                }
                (Some(_), None) => errors.add(
                    "supplier_contact_id",
                    "choose the supplier first: a contact is one of its people",
                ),
                (Some(id), Some(supplier)) => {
                    let contacts = self.store.list_supplier_contacts(supplier).await?;
                    match contacts.into_iter().find(|c| c.id == id) {
                        Some(c) => {
                            s.supplier_contact_id = Some(c.id);
                            s.supplier_contact_name = Some(c.name);
                        }
                        None => errors.add(
                            "supplier_contact_id",
                            format!(
                                "must be one of the contacts of {} in the directory",
                                s.supplier_name.as_deref().unwrap_or("the supplier")
                            ),
                        ),
                    }
                }
            }
        }
        text(errors, "part_number", input.part_number, &mut s.part_number);
        text(errors, "location", input.location, &mut s.location);
        text(errors, "phase", input.phase, &mut s.phase);
        if let Some(v) = input.quantity {
            s.quantity = v;
        }
        if let Some(v) = input.unit {
            s.unit = normalise_unit(&v, &self.config.scope_units);
        }
        if !self.config.scope_units.contains(&s.unit) {
            errors.add(
                "unit",
                format!(
                    "must be one of the configured units: {}",
                    self.config.scope_units.join(", ")
                ),
            );
        }
        if let Some(v) = input.unit_cost_minor {
            s.unit_cost_minor = check_money(errors, "unit_cost_minor", v);
        }
        if let Some(v) = input.lead_time_days {
            if v.is_some_and(|d| !(0..=730).contains(&d)) {
                errors.add("lead_time_days", "must be between 0 and 730 days");
            }
            s.lead_time_days = v;
        }
        // A specification without a lead time takes its supplier's usual one.
        if s.lead_time_days.is_none() {
            s.lead_time_days = supplier_lead;
        }
        if let Some(v) = input.needed_on {
            s.needed_on = v;
        }
        let project_id = s.project_id;
        if let Some(ids) = input.scope_item_ids {
            let items = self
                .store
                .list_scope_items(&ScopeQuery::all(project_id))
                .await?
                .items;
            if ids.iter().any(|i| !items.iter().any(|x| x.id == *i)) {
                errors.add("scope_item_ids", "must be scope items of this project");
            }
            s.scope_item_ids = dedup(ids);
        }
        if let Some(ids) = input.drawing_ids {
            let drawings = self.store.list_drawings(project_id).await?;
            if ids.iter().any(|i| !drawings.iter().any(|x| x.id == *i)) {
                errors.add("drawing_ids", "must be drawings of this project");
            }
            s.drawing_ids = dedup(ids);
        }
        s.total_minor = match s.unit_cost_minor {
            Some(c) => match s.quantity.times(c) {
                Some(t) if t <= crate::scope::MONEY_MAX_MINOR => Some(t),
                _ => {
                    errors.add("unit_cost_minor", "quantity × unit cost is too large");
                    None
                }
            },
            None => None,
        };
        Ok(())
    }

    /// A new draft specification of the project, before any field is applied.
    pub(crate) fn blank_spec(&self, caller: &Caller, project_id: Uuid, currency: &str) -> Spec {
        let now = self.now();
        Spec {
            id: formula_domain::new_id(),
            project_id,
            code: String::new(),
            description: String::new(),
            category: SpecCategory::Other,
            material: None,
            finish: None,
            colour: None,
            dimensions: None,
            hardware: None,
            quantity: Quantity::units(1),
            unit: "pcs".into(),
            unit_cost_minor: None,
            total_minor: None,
            currency: currency.to_owned(),
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
            status: SpecStatus::Draft,
            procurement: None,
            po_number: None,
            order_date: None,
            expected_delivery: None,
            delivered_quantity: Quantity::default(),
            scope_item_ids: Vec::new(),
            drawing_ids: Vec::new(),
            created_at: now,
            updated_at: now,
            updated_by_name: Some(caller.actor.name.clone()),
            version: 1,
        }
    }

    pub async fn create_spec(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: SpecInput,
    ) -> AppResult<Spec> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ManageSpecs, &Resource::Project(access))?;
        let mut errors = FieldErrors::new();
        if input.code.as_deref().is_none_or(|c| c.trim().is_empty()) {
            errors.add("code", "is required");
        }
        if input
            .description
            .as_deref()
            .is_none_or(|c| c.trim().is_empty())
        {
            errors.add("description", "is required");
        }
        let mut s = self.blank_spec(caller, project_id, &project.currency);
        self.apply_spec(&mut errors, &mut s, input).await?;
        errors.into_result()?;
        let a =
            audit(caller, "create", "spec", s.id, &s.code, created(&s)).in_project(s.project_id);
        self.store.insert_spec(&s, &a).await?;
        self.changed(caller, "spec.created", project_id, s.id, Some(1))
            .await;
        self.involve(RecordKind::Spec, s.id, project_id, &[caller.actor.user_id])
            .await;
        Ok(s)
    }

    async fn save_spec(
        &self,
        caller: &Caller,
        action: &str,
        current: &Spec,
        mut next: Spec,
        expected_version: i64,
    ) -> AppResult<Spec> {
        next.updated_at = self.now();
        next.updated_by_name = Some(caller.actor.name.clone());
        let a = audit(
            caller,
            action,
            "spec",
            current.id,
            &next.code,
            changes(current, &next),
        )
        .in_project(current.project_id);
        let saved = self
            .store
            .update_spec(&next, expected_version, None, &a)
            .await?;
        self.changed(
            caller,
            "spec.updated",
            saved.project_id,
            saved.id,
            Some(saved.version),
        )
        .await;
        Ok(saved)
    }

    /// Changes a specification. Approved ones are locked except for their links; a change
    /// after "revise and resubmit" or "rejected" makes it a draft again.
    pub async fn update_spec(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: SpecInput,
    ) -> AppResult<Spec> {
        let (current, _) = self.spec_for(caller, id, Action::ManageSpecs).await?;
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        // The supplier and its contact count as links: an approved specification is given
        // its supplier before it is ordered.
        let links_only = input.code.is_none()
            && input.description.is_none()
            && input.category.is_none()
            && input.quantity.is_none()
            && input.unit.is_none()
            && input.unit_cost_minor.is_none()
            && [
                &input.material,
                &input.finish,
                &input.colour,
                &input.dimensions,
                &input.hardware,
                &input.part_number,
                &input.location,
                &input.phase,
            ]
            .iter()
            .all(|v| v.is_none())
            && input.lead_time_days.is_none()
            && input.needed_on.is_none();
        if !links_only && current.status.is_locked() {
            return Err(AppError::Conflict {
                code: "locked",
                message: format!(
                    "{} is {}: its content cannot change (only its links)",
                    current.code,
                    current.status.label().to_lowercase()
                ),
                fields: FieldErrors::new(),
            });
        }
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        self.apply_spec(&mut errors, &mut next, input).await?;
        errors.into_result()?;
        if !links_only
            && matches!(
                current.status,
                SpecStatus::ReviseAndResubmit | SpecStatus::Rejected
            )
        {
            next.status = SpecStatus::Draft;
        }
        self.save_spec(caller, "update", &current, next, expected_version)
            .await
    }

    /// Sends a draft (or a revised) specification for approval.
    pub async fn submit_spec(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<Spec> {
        self.submit_for_review(caller, id, expected_version).await
    }

    /// Records the approver's decision; approval puts the material on the order list.
    pub async fn review_spec(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: SpecReviewInput,
    ) -> AppResult<Spec> {
        self.decide(
            caller,
            id,
            expected_version,
            input.decision,
            input.comments.as_deref(),
        )
        .await
    }

    /// Records that an approved, delivered specification is installed. Ordering and
    /// delivery are not recorded here: a purchase order raised from the specification and
    /// sent orders it, and goods received against that order deliver it.
    pub async fn procure_spec(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: ProcurementInput,
    ) -> AppResult<Spec> {
        let (current, _) = self.spec_for(caller, id, Action::ManageProcurement).await?;
        let by_order = match input.status {
            Procurement::Ordered | Procurement::ToOrder => Some(format!(
                "{} is ordered by a purchase order: raise one from it (Purchasing tab, \
                 \"Raise from approved specs\") and send it to the supplier",
                current.code
            )),
            Procurement::PartiallyDelivered | Procurement::Delivered => Some(format!(
                "{} is delivered by goods received against its purchase order: open the order \
                 and record what arrived (\"Receive goods\")",
                current.code
            )),
            Procurement::Installed => None,
        };
        if let Some(message) = by_order {
            let mut errors = FieldErrors::new();
            errors.add("status", message);
            return Err(AppError::Validation(errors));
        }
        check_version(
            expected_version,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at,
        )?;
        let Some(from) = current.procurement else {
            return Err(AppError::Conflict {
                code: "not_approved",
                message: format!("{} must be approved before it is installed", current.code),
                fields: FieldErrors::new(),
            });
        };
        if !from.allowed_next().contains(&input.status) {
            return Err(AppError::InvalidTransition {
                from: from.as_str().into(),
                to: input.status.as_str().into(),
                allowed: from
                    .allowed_next()
                    .iter()
                    .filter(|p| **p == Procurement::Installed)
                    .map(|p| p.as_str().to_owned())
                    .collect(),
            });
        }
        let mut next = current.clone();
        next.procurement = Some(input.status);
        self.save_spec(caller, "procurement", &current, next, expected_version)
            .await
    }
}

/// Specifications go through the review workflow themselves: submitted by those who manage
/// them, approved by the project's reviewers, edited and resubmitted when sent back.
impl ReviewKind for Spec {
    type Context = ();
    const SUBMIT: Action = Action::ManageSpecs;
    const VIEW: Action = Action::ViewSpecs;
    const DECIDE: Action = Action::ApproveSpecs;
    const AUDITED_AS: &'static str = "spec";
    const SUBMITTED_EVENT: &'static str = "spec.updated";
    const DECIDED_EVENT: &'static str = "spec.updated";
    const COMMENTS_NEEDED: &'static str = "say what has to change (required unless approving)";
    const LISTS_ALLOWED: bool = false;

    async fn load(
        s: &Services,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<Loaded<Self>> {
        let (spec, access) = s.spec_for(caller, id, action).await?;
        Ok(Loaded {
            project_id: spec.project_id,
            subject_id: spec.id,
            label: spec.code.clone(),
            access,
            item: spec,
            context: (),
        })
    }

    fn saved(&self) -> (i64, Option<String>, OffsetDateTime) {
        (self.version, self.updated_by_name.clone(), self.updated_at)
    }

    async fn save(
        s: &Services,
        next: &Self,
        expected_version: i64,
        decided: Option<&SpecReview>,
        audit: &AuditEntry,
    ) -> AppResult<Self> {
        s.store
            .update_spec(next, expected_version, decided, audit)
            .await
    }
}

fn dedup(ids: Vec<Uuid>) -> Vec<Uuid> {
    let mut out: Vec<Uuid> = Vec::new();
    for i in ids {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}
