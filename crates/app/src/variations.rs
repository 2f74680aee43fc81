//! Variations (change orders): raising one (a client user's request arrives as a draft with
//! a title and a description, for the team to price; one may start from an RFI), pricing its
//! lines, submitting it to the client and the client's decision (through the review
//! workflow, `crate::review`), withdrawal before a decision, and the approval that changes
//! the scope and the contract value in one transaction. Client users see what was submitted
//! to them and what they requested, never a draft's prices.

use formula_domain::audit::{AuditEntry, FieldChange};
use formula_domain::authz::{Action, ProjectAccess, Resource, authorize};
use formula_domain::comment::RecordKind;
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::notification::Event;
use formula_domain::project::Project;
use formula_domain::scope::{Quantity, ScopeGroup, ScopeItem, ScopeStatus};
use formula_domain::user::Role;
use formula_domain::variation::{
    DESCRIPTION_MAX, LINES_MAX, LineKind, NOTE_MAX, Pricing, TITLE_MAX, Variation,
    VariationDecision, VariationLine, VariationReason, VariationReview, VariationStatus, applied,
    check_rate, check_time_impact, item_total, line_amount,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::notifications::Happening;
use crate::query::Paging;
use crate::repos::{
    Approval, ItemChange, ItemVariation, NewVariationRow, RecordKey, VariationFilter,
};
use crate::review::{Loaded, ReviewKind};
use crate::scope::{check_code, next_code, normalise_unit};
use crate::services::{Services, audit, changes, check_version, created, double_option, ensure};

/// How many times an approval chooses new items' codes again when one was taken meanwhile.
const GENERATED_CODE_ATTEMPTS: u32 = 5;

/// The live-update kind of an edit of a variation (its id is the variation's).
pub const VARIATION_UPDATED: &str = "variation.updated";

/// A variation to raise. A client user's request takes a title and a description only.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVariation {
    /// Required unless it starts from an RFI (then `RFI-004: <subject>`).
    #[serde(default)]
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// `client_request` unless given (`rfi` when it starts from an RFI).
    #[serde(default)]
    pub reason: Option<VariationReason>,
    /// The RFI of the project it comes from (not for client users).
    #[serde(default)]
    pub rfi_id: Option<Uuid>,
    /// Days added to the programme (negative: saved). Not for client users.
    #[serde(default)]
    #[schema(minimum = -3650, maximum = 3650)]
    pub time_impact_days: Option<i32>,
}

/// Changes to a draft's header; absent fields stay, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariationPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 10000)]
    pub description: Option<Option<String>>,
    pub reason: Option<VariationReason>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(minimum = -3650, maximum = 3650)]
    pub time_impact_days: Option<Option<i32>>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// A line to add or the new content of a line. `add`: a new item in `group_id` with its
/// `name`, `unit`, `quantity` and `unit_price_minor` (and optionally its `code`, else the
/// group's next free code when approved). `omit`: the existing `scope_item_id`. `change`:
/// the existing `scope_item_id` with its new `quantity` and/or `unit_price_minor`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub kind: Option<LineKind>,
    #[serde(default)]
    pub scope_item_id: Option<Uuid>,
    #[serde(default)]
    pub group_id: Option<Uuid>,
    #[serde(default)]
    #[schema(max_length = 40)]
    pub code: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 20)]
    pub unit: Option<String>,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    #[serde(default)]
    pub quantity: Option<Quantity>,
    /// Rate in minor units of the project's currency.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub unit_price_minor: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// The variation's version (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// The client's decision (or a project manager recording it).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariationDecisionInput {
    pub decision: VariationDecision,
    /// Required to reject.
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub comments: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
}

/// A withdrawal, before a decision.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
}

/// What the caller may do with a variation (for showing buttons).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct VariationAbilities {
    /// Edit the header and the lines (a draft, by those who price variations).
    pub edit: bool,
    pub submit: bool,
    pub withdraw: bool,
    pub decide: bool,
}

/// A variation with its lines and decisions, as the caller may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VariationDetails {
    pub variation: Variation,
    /// Empty for client users while it is a draft.
    pub lines: Vec<VariationLine>,
    pub reviews: Vec<VariationReview>,
    pub abilities: VariationAbilities,
}

fn not_found_as_variation(e: AppError) -> AppError {
    match e {
        AppError::NotFound(_) => AppError::NotFound("variation"),
        other => other,
    }
}

fn change(field: &str, old: Option<String>, new: Option<String>) -> FieldChange {
    let v = |s: Option<String>| s.map_or(serde_json::Value::Null, serde_json::Value::String);
    FieldChange {
        field: field.into(),
        old: v(old),
        new: v(new),
    }
}

/// What client users may see of a variation: submitted ones and the client's requests.
fn client_sees(v: &Variation) -> bool {
    v.status != VariationStatus::Draft || v.requested_by_client
}

/// A draft's prices are the team's: hidden from client users.
fn redact(caller: &Caller, v: &mut Variation) {
    if caller.actor.role == Role::Client && v.status == VariationStatus::Draft {
        v.total_minor = None;
        v.time_impact_days = None;
    }
}

impl Services {
    /// A variation the caller may see, with the project access ("not found" otherwise).
    pub(crate) async fn variation_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<(Variation, ProjectAccess)> {
        let mut v = self
            .store
            .get_variation(id)
            .await?
            .ok_or(AppError::NotFound("variation"))?;
        let access = self
            .access_for(caller, v.project_id)
            .await
            .map_err(not_found_as_variation)?;
        if !self.may(caller, Action::ViewVariations, access)
            || (caller.actor.role == Role::Client && !client_sees(&v))
        {
            return Err(AppError::NotFound("variation"));
        }
        ensure(caller, action, &Resource::Project(access))?;
        redact(caller, &mut v);
        Ok((v, access))
    }

    fn variation_abilities(
        &self,
        caller: &Caller,
        v: &Variation,
        access: ProjectAccess,
    ) -> VariationAbilities {
        let manage = self.may(caller, Action::ManageVariations, access);
        VariationAbilities {
            edit: manage && v.is_editable(),
            submit: manage && v.is_editable(),
            withdraw: manage && v.may_withdraw(),
            decide: v.status == VariationStatus::Submitted
                && !v.is_withdrawn()
                && self.may(caller, Action::DecideVariations, access),
        }
    }

    /// A variation with its lines, decisions and what the caller may do.
    pub async fn get_variation(&self, caller: &Caller, id: Uuid) -> AppResult<VariationDetails> {
        let (variation, access) = self
            .variation_for(caller, id, Action::ViewVariations)
            .await?;
        let hidden = variation.total_minor.is_none();
        let lines = if hidden {
            Vec::new()
        } else {
            self.store.variation_lines(id).await?
        };
        let reviews = self.store.variation_reviews(id).await?;
        let abilities = self.variation_abilities(caller, &variation, access);
        Ok(VariationDetails {
            variation,
            lines,
            reviews,
            abilities,
        })
    }

    /// The project's variations the caller may see, newest first; a page, or all with `None`.
    pub async fn list_variations(
        &self,
        caller: &Caller,
        project_id: Uuid,
        status: Option<VariationStatus>,
        paging: Option<Paging>,
    ) -> AppResult<(Vec<Variation>, i64, ProjectAccess)> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ViewVariations, &Resource::Project(access))?;
        let filter = VariationFilter {
            status,
            client_only: caller.actor.role == Role::Client,
        };
        let (mut items, total) = self
            .store
            .list_variations(project_id, &filter, paging)
            .await?;
        for v in &mut items {
            redact(caller, v);
        }
        Ok((items, total, access))
    }

    /// Every line of every variation the caller may see, for the register export.
    pub async fn variation_register(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<(Project, Vec<(Variation, Vec<VariationLine>)>)> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::ViewVariations, &Resource::Project(access))?;
        let (items, _, _) = self.list_variations(caller, project_id, None, None).await?;
        let mut out = Vec::with_capacity(items.len());
        for v in items {
            let lines = if v.total_minor.is_none() {
                Vec::new()
            } else {
                self.store.variation_lines(v.id).await?
            };
            out.push((v, lines));
        }
        Ok((project, out))
    }

    /// Whether the caller may raise variations here (for showing the button).
    pub fn may_raise_variations(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may(caller, Action::RaiseVariation, access)
    }

    /// A new variation's fields prefilled from an RFI of the project: reason `rfi`, title
    /// `RFI-004: <subject>`, description from its answer.
    pub async fn variation_from_rfi(
        &self,
        caller: &Caller,
        project_id: Uuid,
        rfi_id: Uuid,
    ) -> AppResult<NewVariation> {
        let access = self.access_for(caller, project_id).await?;
        ensure(caller, Action::ManageVariations, &Resource::Project(access))?;
        let rfi = match self.store.rfi_brief(rfi_id).await? {
            Some(r) if r.project_id == project_id => r,
            _ => return Err(AppError::field("rfi_id", "must be an RFI of this project")),
        };
        Ok(NewVariation {
            title: Some(truncate(
                &format!("RFI-{:03}: {}", rfi.number, rfi.subject),
                TITLE_MAX,
            )),
            description: rfi.answer.map(|a| truncate(&a, DESCRIPTION_MAX)),
            reason: Some(VariationReason::Rfi),
            rfi_id: Some(rfi.id),
            time_impact_days: None,
        })
    }

    /// Raises a variation: a draft numbered `VO-00n` in the project. A client user's is a
    /// request (a title and a description), which the team then prices.
    pub async fn create_variation(
        &self,
        caller: &Caller,
        project_id: Uuid,
        mut input: NewVariation,
    ) -> AppResult<Variation> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(caller, Action::RaiseVariation, &Resource::Project(access))?;
        let client = caller.actor.role == Role::Client;
        let mut errors = FieldErrors::new();
        if client {
            let theirs = "is for the contractor's team to set; describe the change you want";
            if input.rfi_id.is_some() {
                errors.add("rfi_id", theirs);
            }
            if input.time_impact_days.is_some() {
                errors.add("time_impact_days", theirs);
            }
            if input
                .reason
                .is_some_and(|r| r != VariationReason::ClientRequest)
            {
                errors.add("reason", "a client's request is a client request");
            }
        } else if let Some(rfi_id) = input.rfi_id {
            match self.variation_from_rfi(caller, project_id, rfi_id).await {
                Ok(pre) => {
                    if input.title.as_deref().is_none_or(|t| t.trim().is_empty()) {
                        input.title = pre.title;
                    }
                    if input.description.is_none() {
                        input.description = pre.description;
                    }
                    input.reason = input.reason.or(pre.reason);
                }
                Err(AppError::Validation(e)) => {
                    for fe in e.0 {
                        errors.add(&fe.field, fe.message);
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let title = required_text(
            &mut errors,
            "title",
            input.title.as_deref().unwrap_or(""),
            TITLE_MAX,
        );
        let description = optional_text(
            &mut errors,
            "description",
            input.description.as_deref(),
            DESCRIPTION_MAX,
        );
        check_time_impact(&mut errors, input.time_impact_days);
        errors.into_result()?;
        let now = self.now();
        let row = NewVariationRow {
            id: formula_domain::new_id(),
            project_id,
            title,
            description,
            reason: input.reason.unwrap_or(VariationReason::ClientRequest),
            rfi_id: if client { None } else { input.rfi_id },
            requested_by_client: client,
            time_impact_days: input.time_impact_days,
            currency: project.currency.clone(),
            raised_by: caller.actor.user_id,
            raised_at: now,
        };
        let mut ch = vec![
            change("title", None, Some(row.title.clone())),
            change("reason", None, Some(row.reason.as_str().to_owned())),
        ];
        if client {
            ch.push(change("requested_by_client", None, Some("true".into())));
        }
        let a = audit(caller, "create", "variation", row.id, "", ch).in_project(project_id);
        self.store.insert_variation(&row, &a).await?;
        let v = self
            .store
            .get_variation(row.id)
            .await?
            .ok_or(AppError::NotFound("variation"))?;
        self.announce(
            caller,
            "variation.created",
            project_id,
            v.id,
            Some(v.version),
            !client_sees(&v),
        )
        .await;
        if client {
            // The team hears of a client's request (it has to be priced).
            let mut h = self.variation_happening(
                &v,
                project.client_id,
                Event::VariationSubmitted,
                format!(
                    "{} requested variation {} “{}”",
                    caller.actor.name, v.code, v.title
                ),
            );
            h = h.by(caller);
            h.occurrence = format!("{}:requested", v.id);
            self.notify(h).await;
        }
        let mut out = v;
        redact(caller, &mut out);
        Ok(out)
    }

    /// A draft the caller may price, checked against the version they saw.
    async fn draft_for(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<(Variation, ProjectAccess)> {
        let (v, access) = self
            .variation_for(caller, id, Action::ManageVariations)
            .await?;
        check_version(expected_version, v.version, None, v.updated_at)?;
        if !v.is_editable() {
            return Err(AppError::Conflict {
                code: "locked",
                message: format!(
                    "{} is {}: its content cannot change any more",
                    v.code,
                    v.state_label().to_lowercase()
                ),
                fields: FieldErrors::new(),
            });
        }
        Ok((v, access))
    }

    /// Changes a draft's title, description, reason or time impact.
    pub async fn update_variation(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: VariationPatch,
    ) -> AppResult<Variation> {
        let (current, _) = self.draft_for(caller, id, expected_version).await?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        if let Some(t) = &patch.title {
            next.title = required_text(&mut errors, "title", t, TITLE_MAX);
        }
        if let Some(d) = &patch.description {
            next.description =
                optional_text(&mut errors, "description", d.as_deref(), DESCRIPTION_MAX);
        }
        if let Some(r) = patch.reason {
            next.reason = r;
        }
        if let Some(t) = patch.time_impact_days {
            check_time_impact(&mut errors, t);
            next.time_impact_days = t;
        }
        errors.into_result()?;
        next.updated_at = self.now();
        self.save_variation_header(caller, "update", &current, next, expected_version)
            .await
    }

    async fn save_variation_header(
        &self,
        caller: &Caller,
        action: &str,
        current: &Variation,
        next: Variation,
        expected_version: i64,
    ) -> AppResult<Variation> {
        let a = audit(
            caller,
            action,
            "variation",
            current.id,
            &current.code,
            changes(current, &next),
        )
        .in_project(current.project_id);
        let saved = self
            .store
            .update_variation(&next, expected_version, &a)
            .await?;
        self.announce(
            caller,
            VARIATION_UPDATED,
            saved.project_id,
            saved.id,
            Some(saved.version),
            !client_sees(&saved),
        )
        .await;
        Ok(saved)
    }

    /// Withdraws a variation before a decision: nothing more happens to it.
    pub async fn withdraw_variation(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: WithdrawInput,
    ) -> AppResult<Variation> {
        let (current, _) = self
            .variation_for(caller, id, Action::ManageVariations)
            .await?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        if !current.may_withdraw() {
            return Err(AppError::Conflict {
                code: "locked",
                message: format!(
                    "{} is {}: only a variation not yet decided may be withdrawn",
                    current.code,
                    current.state_label().to_lowercase()
                ),
                fields: FieldErrors::new(),
            });
        }
        let mut errors = FieldErrors::new();
        let reason = optional_text(&mut errors, "reason", input.reason.as_deref(), NOTE_MAX);
        errors.into_result()?;
        let now = self.now();
        let mut next = current.clone();
        next.withdrawn_at = Some(now);
        next.withdrawn_by_name = Some(caller.actor.name.clone());
        next.withdrawn_reason = reason;
        next.updated_at = now;
        self.save_variation_header(caller, "withdraw", &current, next, expected_version)
            .await
    }

    /// Checks a line's input against the project's scope and prices it.
    async fn priced_line(
        &self,
        v: &Variation,
        line_id: Uuid,
        position: i64,
        input: LineInput,
        others: &[VariationLine],
    ) -> AppResult<VariationLine> {
        let mut errors = FieldErrors::new();
        let Some(kind) = input.kind else {
            return Err(AppError::field("kind", "is required: add, omit or change"));
        };
        let note = optional_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX);
        let mut line = VariationLine {
            id: line_id,
            variation_id: v.id,
            position,
            kind,
            scope_item_id: None,
            code: None,
            group_id: None,
            group_name: None,
            name: None,
            unit: None,
            description: None,
            quantity_before: None,
            unit_price_before_minor: None,
            quantity: None,
            unit_price_minor: None,
            amount_minor: 0,
            note,
        };
        let units = &self.config.scope_units;
        match kind {
            LineKind::Add => {
                for (field, given) in [("scope_item_id", input.scope_item_id.is_some())] {
                    if given {
                        errors.add(field, "an add line creates a new item: leave it out");
                    }
                }
                match input.group_id {
                    Some(gid) => match self
                        .groups_of(v.project_id)
                        .await?
                        .into_iter()
                        .find(|g| g.id == gid)
                    {
                        Some(g) => {
                            line.group_id = Some(g.id);
                            line.group_name = Some(g.name);
                        }
                        None => errors.add("group_id", "must be one of this project's groups"),
                    },
                    None => errors.add("group_id", "is required: the group the new item goes in"),
                }
                line.name = Some(required_text(
                    &mut errors,
                    "name",
                    input.name.as_deref().unwrap_or(""),
                    200,
                ));
                line.description = optional_text(
                    &mut errors,
                    "description",
                    input.description.as_deref(),
                    DESCRIPTION_MAX,
                );
                let unit = normalise_unit(input.unit.as_deref().unwrap_or("pcs"), units);
                if !units.contains(&unit) {
                    errors.add(
                        "unit",
                        format!("must be one of the configured units: {}", units.join(", ")),
                    );
                }
                line.unit = Some(unit);
                if let Some(c) = input
                    .code
                    .as_deref()
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                {
                    let code = check_code(&mut errors, "code", c);
                    let codes = self.store.scope_item_codes(v.project_id).await?;
                    if codes.iter().any(|x| x.eq_ignore_ascii_case(&code))
                        || others
                            .iter()
                            .any(|o| o.id != line_id && o.code.as_deref() == Some(code.as_str()))
                    {
                        errors.add(
                            "code",
                            "another item of this project already uses this code",
                        );
                    }
                    line.code = Some(code);
                }
                match input.quantity {
                    Some(q) if q > Quantity::default() && q <= Quantity::MAX => {
                        line.quantity = Some(q)
                    }
                    _ => errors.add("quantity", "must be more than 0"),
                }
                match input.unit_price_minor {
                    Some(r) => {
                        check_rate(&mut errors, "unit_price_minor", r);
                        line.unit_price_minor = Some(r);
                    }
                    None => errors.add("unit_price_minor", "is required: the rate of the new item"),
                }
            }
            LineKind::Omit | LineKind::Change => {
                for (field, given) in [
                    ("group_id", input.group_id.is_some()),
                    ("code", input.code.is_some()),
                    ("name", input.name.is_some()),
                    ("unit", input.unit.is_some()),
                    ("description", input.description.is_some()),
                ] {
                    if given {
                        errors.add(field, "only an add line describes a new item: leave it out");
                    }
                }
                let item = match input.scope_item_id {
                    Some(id) => match self.store.get_scope_item(id).await? {
                        Some(i) if i.project_id == v.project_id => Some(i),
                        _ => {
                            errors.add("scope_item_id", "must be a scope item of this project");
                            None
                        }
                    },
                    None => {
                        errors.add("scope_item_id", "is required: the item to omit or change");
                        None
                    }
                };
                if let Some(item) = &item {
                    if item.status == ScopeStatus::Cancelled {
                        errors.add(
                            "scope_item_id",
                            format!(
                                "{} is cancelled: there is nothing to omit or change",
                                item.code
                            ),
                        );
                    }
                    if others
                        .iter()
                        .any(|o| o.id != line_id && o.scope_item_id == Some(item.id))
                    {
                        errors.add(
                            "scope_item_id",
                            format!(
                                "{} already has a line on this variation; edit that one",
                                item.code
                            ),
                        );
                    }
                    line.scope_item_id = Some(item.id);
                    line.code = Some(item.code.clone());
                    line.name = Some(item.name.clone());
                    line.unit = Some(item.unit.clone());
                    line.quantity_before = Some(item.quantity);
                    line.unit_price_before_minor = item.unit_price_minor;
                    if kind == LineKind::Change {
                        let q = input.quantity.unwrap_or(item.quantity);
                        let r = input.unit_price_minor.or(item.unit_price_minor);
                        if q > Quantity::MAX {
                            errors.add("quantity", "must be at most 1,000,000,000");
                        }
                        if let Some(r) = r {
                            check_rate(&mut errors, "unit_price_minor", r);
                        }
                        if item.placement.room_type_id.is_some() && q != item.quantity {
                            errors.add(
                                "quantity",
                                format!(
                                    "{} is repeated over a room type: its quantity follows the rooms; change the quantity per room on the item, or omit it and add a new one",
                                    item.code
                                ),
                            );
                        }
                        match r {
                            Some(r) if q != item.quantity || Some(r) != item.unit_price_minor => {
                                line.quantity = Some(q);
                                line.unit_price_minor = Some(r);
                            }
                            Some(_) => errors.add(
                                "quantity",
                                "give a new quantity or a new rate (both are as the item has them now)",
                            ),
                            None => errors.add(
                                "unit_price_minor",
                                format!("{} has no rate: give the rate it is priced at", item.code),
                            ),
                        }
                    } else if input.quantity.is_some() || input.unit_price_minor.is_some() {
                        errors.add(
                            "quantity",
                            "an omit line takes the item out as it is: leave quantity and rate out",
                        );
                    }
                }
            }
        }
        errors.into_result()?;
        let amount = line_amount(Pricing {
            kind,
            before: line
                .quantity_before
                .map(|q| (q, line.unit_price_before_minor)),
            after: line.quantity.zip(line.unit_price_minor),
        });
        match amount {
            Some(a) if a.abs() <= crate::scope::MONEY_MAX_MINOR => line.amount_minor = a,
            _ => return Err(AppError::field("quantity", "quantity × rate is too large")),
        }
        Ok(line)
    }

    /// Adds a priced line to a draft; the total follows in the same transaction.
    pub async fn add_variation_line(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: LineInput,
    ) -> AppResult<VariationDetails> {
        let (v, _) = self.draft_for(caller, id, expected_version).await?;
        let others = self.store.variation_lines(id).await?;
        if others.len() >= LINES_MAX {
            return Err(AppError::field(
                "kind",
                format!("a variation holds at most {LINES_MAX} lines; raise another one"),
            ));
        }
        let line = self
            .priced_line(&v, formula_domain::new_id(), 0, input, &others)
            .await?;
        self.save_line(caller, &v, &line, None, expected_version)
            .await
    }

    /// Replaces a line of a draft.
    pub async fn update_variation_line(
        &self,
        caller: &Caller,
        id: Uuid,
        line_id: Uuid,
        expected_version: i64,
        input: LineInput,
    ) -> AppResult<VariationDetails> {
        let (v, _) = self.draft_for(caller, id, expected_version).await?;
        let others = self.store.variation_lines(id).await?;
        let Some(old) = others.iter().find(|l| l.id == line_id).cloned() else {
            return Err(AppError::NotFound("variation line"));
        };
        let line = self
            .priced_line(&v, line_id, old.position, input, &others)
            .await?;
        self.save_line(caller, &v, &line, Some(&old), expected_version)
            .await
    }

    async fn save_line(
        &self,
        caller: &Caller,
        v: &Variation,
        line: &VariationLine,
        old: Option<&VariationLine>,
        expected_version: i64,
    ) -> AppResult<VariationDetails> {
        let ch = match old {
            Some(o) => changes(o, line),
            None => created(line),
        };
        let action = if old.is_some() {
            "line_updated"
        } else {
            "line_added"
        };
        let a = audit(caller, action, "variation", v.id, &v.code, ch).in_project(v.project_id);
        let saved = self
            .store
            .save_variation_line(line, expected_version, self.now(), &a)
            .await?;
        self.line_saved(caller, &saved).await
    }

    async fn line_saved(&self, caller: &Caller, saved: &Variation) -> AppResult<VariationDetails> {
        self.announce(
            caller,
            VARIATION_UPDATED,
            saved.project_id,
            saved.id,
            Some(saved.version),
            !client_sees(saved),
        )
        .await;
        self.get_variation(caller, saved.id).await
    }

    /// Removes a line of a draft.
    pub async fn remove_variation_line(
        &self,
        caller: &Caller,
        id: Uuid,
        line_id: Uuid,
        expected_version: i64,
    ) -> AppResult<VariationDetails> {
        let (v, _) = self.draft_for(caller, id, expected_version).await?;
        let lines = self.store.variation_lines(id).await?;
        let Some(old) = lines.iter().find(|l| l.id == line_id) else {
            return Err(AppError::NotFound("variation line"));
        };
        let ch = vec![change(
            "line",
            Some(format!(
                "{} {}",
                old.kind.as_str(),
                old.code.clone().or(old.name.clone()).unwrap_or_default()
            )),
            None,
        )];
        let a =
            audit(caller, "line_removed", "variation", v.id, &v.code, ch).in_project(v.project_id);
        let saved = self
            .store
            .delete_variation_line(id, line_id, expected_version, self.now(), &a)
            .await?;
        self.line_saved(caller, &saved).await
    }

    /// Submits a priced draft to the client.
    pub async fn submit_variation(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<Variation> {
        let (v, access) = self.draft_for(caller, id, expected_version).await?;
        if self.store.variation_lines(id).await?.is_empty() {
            return Err(AppError::field(
                "lines",
                "price the variation first: add at least one line",
            ));
        }
        let saved: Variation = self.submit_for_review(caller, id, expected_version).await?;
        let client_id = access.client_id;
        let mut h = self.variation_happening(
            &saved,
            client_id,
            Event::VariationSubmitted,
            format!(
                "{} submitted variation {} “{}” for your decision",
                caller.actor.name, v.code, v.title
            ),
        );
        h.parties.reviewers = self.variation_deciders(saved.project_id, access).await;
        h = h.by(caller);
        h.occurrence = format!("v{}", saved.version);
        self.notify(h).await;
        Ok(saved)
    }

    /// The client's decision on a submitted variation (or a project manager recording it).
    /// An approval changes the scope and the contract value in the same transaction.
    pub async fn decide_variation(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: VariationDecisionInput,
    ) -> AppResult<Variation> {
        let (current, access) = self
            .variation_for(caller, id, Action::ViewVariations)
            .await?;
        if current.is_withdrawn() {
            return Err(AppError::Conflict {
                code: "locked",
                message: format!("{} was withdrawn: there is nothing to decide", current.code),
                fields: FieldErrors::new(),
            });
        }
        let saved: Variation = self
            .decide(
                caller,
                id,
                expected_version,
                input.decision,
                input.comments.as_deref(),
            )
            .await?;
        if saved.status == VariationStatus::Approved {
            self.changed(
                caller,
                "scope.changed",
                saved.project_id,
                saved.project_id,
                None,
            )
            .await;
            self.changed(
                caller,
                "project.updated",
                saved.project_id,
                saved.project_id,
                None,
            )
            .await;
        }
        let mut h = self.variation_happening(
            &saved,
            access.client_id,
            Event::VariationDecided,
            format!(
                "{} {} variation {} “{}”",
                caller.actor.name,
                saved.status.label().to_lowercase(),
                saved.code,
                saved.title
            ),
        );
        h.parties.creator = saved.raised_by;
        h.excerpt = input
            .comments
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(crate::notifications::excerpt);
        h = h.by(caller);
        h.occurrence = format!("v{}", saved.version);
        self.notify(h).await;
        Ok(saved)
    }

    /// The variations that added, changed or omitted a scope item (those the caller may see).
    pub async fn item_variations(
        &self,
        caller: &Caller,
        scope_item_id: Uuid,
    ) -> AppResult<Vec<ItemVariation>> {
        let (item, access) = self.get_scope_item(caller, scope_item_id).await?;
        if !self.may(caller, Action::ViewVariations, access) {
            return Ok(Vec::new());
        }
        let client = caller.actor.role == Role::Client;
        let _ = item;
        Ok(self
            .store
            .item_variations(scope_item_id)
            .await?
            .into_iter()
            .filter(|v| !client || v.status != VariationStatus::Draft)
            .collect())
    }

    /// The project's people who decide on its variations: its client users.
    async fn variation_deciders(&self, project_id: Uuid, access: ProjectAccess) -> Vec<Uuid> {
        match self.store.project_people(project_id).await {
            Ok(people) => people
                .iter()
                .filter(|p| p.role == Role::Client)
                .filter(|p| {
                    let actor = formula_domain::authz::Actor {
                        user_id: p.id,
                        name: p.name.clone(),
                        role: p.role,
                        client_id: p.client_id,
                    };
                    let access = ProjectAccess {
                        client_id: access.client_id,
                        membership: p.membership,
                    };
                    authorize(&actor, Action::DecideVariations, &Resource::Project(access))
                })
                .map(|p| p.id)
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read who decides on variations");
                Vec::new()
            }
        }
    }

    /// A notification about a variation: it hangs on the project's thread (variations have
    /// no discussion of their own) and links to the variation.
    fn variation_happening(
        &self,
        v: &Variation,
        client_id: Uuid,
        event: Event,
        title: String,
    ) -> Happening {
        let record = RecordKey {
            kind: RecordKind::Project,
            id: v.project_id,
            project_id: v.project_id,
        };
        let mut h = Happening::new(event, record, client_id, title);
        h.link = format!("/variations/{}", v.id);
        h.client_sees = client_sees(v);
        h.internal = !client_sees(v);
        h
    }

    /// What an approval of `v` applies: new items for its add lines (codes given on the
    /// line, else the group's next free ones), the omitted and changed items as priced, and
    /// the audit entries of the items and the project.
    async fn approval_of(&self, v: &Variation, audit_of: &AuditEntry) -> AppResult<Approval> {
        let lines = self.store.variation_lines(v.id).await?;
        let project = self
            .store
            .get_project(v.project_id)
            .await?
            .ok_or(AppError::NotFound("project"))?;
        let groups: Vec<ScopeGroup> = self.groups_of(v.project_id).await?;
        let mut codes = self.store.scope_item_codes(v.project_id).await?;
        let mut plan = Approval {
            variation_code: v.code.clone(),
            ..Approval::default()
        };
        let entry = |action: &str, entity: &str, id: Uuid, label: &str, ch: Vec<FieldChange>| {
            let mut e = audit_of.clone();
            e.id = formula_domain::new_id();
            e.action = action.to_owned();
            e.entity_type = entity.to_owned();
            e.entity_id = id;
            e.entity_label = label.to_owned();
            e.changes = ch;
            e
        };
        for l in &lines {
            match l.kind {
                LineKind::Add => {
                    let Some(group) = groups.iter().find(|g| Some(g.id) == l.group_id) else {
                        return Err(AppError::Conflict {
                            code: "variation_outdated",
                            message: format!(
                                "the group of “{}” was deleted since {} was priced; revise the variation",
                                l.name.clone().unwrap_or_default(),
                                v.code
                            ),
                            fields: FieldErrors::new(),
                        });
                    };
                    let code = match &l.code {
                        Some(c) => c.clone(),
                        None => {
                            let c = next_code(&project.code, &group.letter, &codes, 1);
                            plan.generated_codes.push(c.clone());
                            c
                        }
                    };
                    codes.push(code.clone());
                    let quantity = l.quantity.unwrap_or_default();
                    let item = ScopeItem {
                        id: formula_domain::new_id(),
                        project_id: v.project_id,
                        group_id: group.id,
                        group_name: group.name.clone(),
                        code: code.clone(),
                        name: l.name.clone().unwrap_or_default(),
                        description: l.description.clone(),
                        location: None,
                        quantity,
                        unit: l.unit.clone().unwrap_or_else(|| "pcs".into()),
                        unit_price_minor: l.unit_price_minor,
                        total_minor: l.unit_price_minor.and_then(|r| quantity.times(r)),
                        budget_cost_minor: None,
                        actual_cost_minor: None,
                        currency: project.currency.clone(),
                        status: ScopeStatus::NotStarted,
                        progress: 0,
                        drawing_required: group.is_millwork(),
                        spec_required: group.is_millwork(),
                        position: 0,
                        created_at: v.updated_at,
                        updated_at: v.updated_at,
                        updated_by_name: audit_of.actor_name.clone(),
                        version: 1,
                        released_at: None,
                        released_by_name: None,
                        release_note: None,
                        install_on: None,
                        placement: Default::default(),
                    };
                    let mut ch = created(&item);
                    ch.push(change("variation", None, Some(v.code.clone())));
                    plan.audit
                        .push(entry("create", "scope_item", item.id, &code, ch));
                    plan.new_items.push((l.id, item));
                }
                LineKind::Omit | LineKind::Change => {
                    let (Some(item_id), Some(before)) = (l.scope_item_id, l.quantity_before) else {
                        continue;
                    };
                    let code = l.code.clone().unwrap_or_default();
                    let pricing = Pricing {
                        kind: l.kind,
                        before: Some((before, l.unit_price_before_minor)),
                        after: l.quantity.zip(l.unit_price_minor),
                    };
                    let Some((quantity, price)) = applied(pricing) else {
                        continue;
                    };
                    let total = item_total(quantity, price).filter(|_| price.is_some());
                    let ch = vec![
                        change(
                            "quantity",
                            Some(before.to_string()),
                            Some(quantity.to_string()),
                        ),
                        change(
                            "unit_price_minor",
                            l.unit_price_before_minor.map(|p| p.to_string()),
                            price.map(|p| p.to_string()),
                        ),
                        change("variation", None, Some(v.code.clone())),
                    ];
                    let action = if l.kind == LineKind::Omit {
                        "omit"
                    } else {
                        "update"
                    };
                    plan.audit
                        .push(entry(action, "scope_item", item_id, &code, ch));
                    plan.changes.push(ItemChange {
                        scope_item_id: item_id,
                        code,
                        kind: l.kind,
                        quantity_before: before,
                        unit_price_before: l.unit_price_before_minor,
                        quantity,
                        unit_price: price,
                        total,
                    });
                }
            }
        }
        let total = v.total_minor.unwrap_or(0);
        let old = project.contract_value.as_ref().map(|m| m.amount_minor);
        plan.audit.push(entry(
            "variation_applied",
            "project",
            project.id,
            &project.code,
            vec![
                change(
                    "contract_value_minor",
                    old.map(|o| o.to_string()),
                    Some((old.unwrap_or(0).saturating_add(total)).to_string()),
                ),
                change("variation", None, Some(v.code.clone())),
            ],
        ));
        Ok(plan)
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.trim().chars().take(max).collect()
}

/// Variations go through the review workflow: submitted by those who price them, decided by
/// the client (or a project manager recording the client's decision); a rejected one stays
/// rejected.
impl ReviewKind for Variation {
    type Context = ();
    const SUBMIT: Action = Action::ManageVariations;
    const VIEW: Action = Action::ViewVariations;
    const DECIDE: Action = Action::DecideVariations;
    const AUDITED_AS: &'static str = "variation";
    const SUBMITTED_EVENT: &'static str = "variation.submitted";
    const DECIDED_EVENT: &'static str = "variation.reviewed";
    const COMMENTS_NEEDED: &'static str = "say why the variation is rejected";
    const DECIDED_BY_SETTINGS: bool = false;

    async fn load(
        s: &Services,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<Loaded<Self>> {
        let (v, access) = s.variation_for(caller, id, action).await?;
        // The workflow saves what it loaded: the total as stored, never as redacted.
        let v = if v.total_minor.is_none() {
            s.store
                .get_variation(id)
                .await?
                .ok_or(AppError::NotFound("variation"))?
        } else {
            v
        };
        Ok(Loaded {
            project_id: v.project_id,
            subject_id: v.id,
            label: v.code.clone(),
            access,
            item: v,
            context: (),
        })
    }

    fn saved(&self) -> (i64, Option<String>, OffsetDateTime) {
        (self.version, None, self.updated_at)
    }

    fn check_submit(&self, _context: &()) -> AppResult<()> {
        if self.is_withdrawn() {
            return Err(AppError::Conflict {
                code: "locked",
                message: format!("{} was withdrawn", self.code),
                fields: FieldErrors::new(),
            });
        }
        Ok(())
    }

    async fn save(
        s: &Services,
        next: &Self,
        expected_version: i64,
        decided: Option<&VariationReview>,
        audit: &AuditEntry,
    ) -> AppResult<Self> {
        if next.status != VariationStatus::Approved {
            return s
                .store
                .save_variation_step(next, expected_version, decided, None, audit)
                .await;
        }
        // A code the system chose for a new item may be taken by an item added at the same
        // moment: the whole approval rolled back, so choose the codes again and retry.
        let mut attempt = 1;
        loop {
            let plan = s.approval_of(next, audit).await?;
            match s
                .store
                .save_variation_step(next, expected_version, decided, Some(&plan), audit)
                .await
            {
                Err(AppError::Conflict {
                    code: "code_taken", ..
                }) if attempt < GENERATED_CODE_ATTEMPTS => attempt += 1,
                Err(AppError::Conflict {
                    code: "code_taken",
                    message,
                    fields,
                }) => {
                    return Err(AppError::Conflict {
                        code: "variation_outdated",
                        message,
                        fields,
                    });
                }
                other => return other,
            }
        }
    }
}

/// What the variation PDF prints: the project, the variation as the caller may see it, and
/// the letterhead (read here without the office's permission: the document goes to the
/// client).
pub struct VariationDocument {
    pub project: Project,
    pub details: VariationDetails,
    pub company: formula_domain::company::CompanySettings,
    pub logo: Option<Vec<u8>>,
}

impl Services {
    /// The variation with what its PDF needs.
    pub async fn variation_document(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<VariationDocument> {
        let details = self.get_variation(caller, id).await?;
        let project = self
            .store
            .get_project(details.variation.project_id)
            .await?
            .ok_or(AppError::NotFound("project"))?;
        let company = self.store.company_settings().await?;
        let logo = self.logo_bytes(&company).await?.map(|(b, _)| b);
        Ok(VariationDocument {
            project,
            details,
            company,
            logo,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_from_rfis_fit() {
        let long = "x".repeat(500);
        assert_eq!(truncate(&long, TITLE_MAX).chars().count(), TITLE_MAX);
        assert_eq!(truncate("  a ", 10), "a");
    }
}
