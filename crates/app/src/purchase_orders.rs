//! Purchase orders: raising one by hand or from approved specifications of the project
//! (a line per specification, the supplier theirs), editing a draft's header and lines,
//! approval within the approval limits (a project manager up to the limit of the order's
//! currency, an executive or administrator above it), sending (the PDF kept as an attachment
//! of the order and mailed to the supplier through the outbox; the linked specifications
//! become ordered in the same transaction), cancelling and closing. Every change is
//! audited; callers who may not see purchase prices get no prices or totals, by any route.
//!
//! The PDF is drawn by `formula-reports`, passed in by the web layer as a
//! [`PoRenderer`] (as the RFIs do), so the app does not depend on document layout.

use formula_domain::attachment::OwnerKind;
use formula_domain::audit::FieldChange;
use formula_domain::authz::{Action, ProjectAccess, Resource};
use formula_domain::comment::RecordKind;
use formula_domain::company::CompanySettings;
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::notification::Event;
use formula_domain::project::Project;
use formula_domain::purchase_order::{
    DESCRIPTION_MAX, LINES_MAX, MONEY_MAX_MINOR, PoLine, PoStatus, PurchaseOrder, REASON_MAX,
    TEXT_MAX, UNIT_MAX, check_currency, check_line,
};
use formula_domain::scope::Quantity;
use formula_domain::spec::SpecStatus;
use formula_domain::user::Role;
use serde::Deserialize;
use time::Date;
use uuid::Uuid;

use crate::attachments::{Owner, SentDocument};
use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::jobs::{JobAttachment, NewJob};
use crate::notifications::Happening;
use crate::query::Paging;
use crate::repos::{
    NewPoRow, PoFilter, PoHeader, PoLineRow, PoMove, PoSending, PoSupplier, RecordKey, SpecForPo,
};
use crate::services::{Services, audit, check_version, double_option, ensure};

/// The live-update kind of every change to a purchase order (its id is the order's).
pub const PO_CHANGED: &str = "purchase_order.changed";

/// Lays a purchase order out as a PDF (`formula-reports`, passed in by the web layer).
pub type PoRenderer = fn(&PoDocument) -> Result<Vec<u8>, String>;

const PDF_MIME: &str = "application/pdf";
/// At most this many specifications raise one order.
pub const SPECS_MAX: usize = 100;

/// A line to add or replace on a draft.
#[derive(Debug, Clone, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoLineInput {
    /// A specification of the project this line orders.
    #[serde(default)]
    pub spec_id: Option<Uuid>,
    /// A scope item of the project this line orders.
    #[serde(default)]
    pub scope_item_id: Option<Uuid>,
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// More than 0, at most 3 decimals.
    pub quantity: Quantity,
    #[schema(min_length = 1, max_length = 20)]
    pub unit: String,
    /// Minor units of the project's currency.
    #[schema(minimum = 0, maximum = 1_000_000_000_000_000_i64)]
    pub unit_price_minor: i64,
    #[serde(default)]
    pub required_on: Option<Date>,
    /// The order's version (or send `If-Match`).
    #[serde(default)]
    pub version: Option<i64>,
}

/// An order to raise: by hand (a supplier and lines), or from approved specifications of
/// the project (`spec_ids`: a line each, the supplier theirs).
#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPurchaseOrder {
    /// Required unless raised from specifications.
    #[serde(default)]
    pub supplier_id: Option<Uuid>,
    /// Approved specifications of the project, all of one supplier.
    #[serde(default)]
    #[schema(max_items = 100)]
    pub spec_ids: Vec<Uuid>,
    /// The project's currency (any other is refused); may be left out.
    #[serde(default)]
    #[schema(min_length = 3, max_length = 3)]
    pub currency: Option<String>,
    #[serde(default)]
    pub required_on: Option<Date>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub delivery_address: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub terms: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub notes: Option<String>,
    #[serde(default)]
    #[schema(max_items = 500)]
    pub lines: Vec<PoLineInput>,
}

/// Changes to a draft's header (a field left out stays; `null` clears it).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PurchaseOrderPatch {
    pub supplier_id: Option<Uuid>,
    #[serde(default, deserialize_with = "double_option")]
    pub required_on: Option<Option<Date>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 2000)]
    pub delivery_address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 2000)]
    pub terms: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(max_length = 2000)]
    pub notes: Option<Option<String>>,
    /// The version edited (or send `If-Match`).
    pub version: Option<i64>,
}

/// A move with nothing more to say than the version it starts from.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoVersion {
    pub version: Option<i64>,
}

/// Sending: to the supplier's address unless another (a contact's) is given.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoSend {
    #[serde(default)]
    #[schema(max_length = 254)]
    pub to: Option<String>,
    pub version: Option<i64>,
}

/// Cancelling needs a reason.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PoCancel {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    pub version: Option<i64>,
}

/// What the caller may do with an order (for showing buttons).
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct PoAbilities {
    pub edit: bool,
    /// The caller's role approves orders here (a draft); see `within_limit`.
    pub approve: bool,
    /// The order's total is within what the caller may approve (a project manager's
    /// approval above the limit is refused).
    pub within_limit: bool,
    pub send: bool,
    pub cancel: bool,
    pub close: bool,
    /// Goods may be received against it (the receipts page).
    pub receive: bool,
    pub see_prices: bool,
}

/// An order with its lines and what the caller may do.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct PurchaseOrderDetails {
    #[serde(flatten)]
    pub order: PurchaseOrder,
    pub lines: Vec<PoLine>,
    pub abilities: PoAbilities,
}

/// Everything the order's PDF prints.
#[derive(Debug, Clone)]
pub struct PoDocument {
    pub project: Project,
    pub order: PurchaseOrder,
    pub lines: Vec<PoLine>,
    pub supplier: PoSupplier,
    pub company: CompanySettings,
    pub logo: Option<Vec<u8>>,
    /// Prices and totals printed (false: a copy for someone who may not see them).
    pub prices: bool,
    pub today: Date,
}

impl PoDocument {
    /// `PO-2026-0001.pdf`.
    pub fn file_name(&self) -> String {
        format!("{}.pdf", self.order.number)
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

fn not_found_as_po(e: AppError) -> AppError {
    match e {
        AppError::NotFound(_) => AppError::NotFound("purchase order"),
        other => other,
    }
}

/// `12,345.67 EUR` for messages (the currency's own decimal places).
fn money_text(minor: i64, currency: &str) -> String {
    format!(
        "{} {currency}",
        formula_domain::money::format_amount(minor, currency)
    )
}

impl Services {
    /// Whether the caller may see purchase prices on this project (`ViewPurchasePrices`, or
    /// the company's setting for a designer's or craftsman's role). Fails closed: if the
    /// settings cannot be read, no prices are shown.
    async fn po_prices_visible(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may_see_purchase_prices(caller, &access)
            .await
            .unwrap_or(false)
    }

    /// Up to which total a project manager approves in `currency`.
    async fn po_limit(&self, currency: &str) -> AppResult<Option<i64>> {
        self.po_approval_limit(currency).await
    }

    /// An order the caller may see, with the project access ("not found" otherwise).
    async fn po_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<(PurchaseOrder, ProjectAccess)> {
        let po = self
            .store
            .get_purchase_order(id)
            .await?
            .ok_or(AppError::NotFound("purchase order"))?;
        let access = self
            .access_for(caller, po.project_id)
            .await
            .map_err(not_found_as_po)?;
        if !self.may(caller, Action::ViewPurchaseOrders, access) {
            return Err(AppError::NotFound("purchase order"));
        }
        ensure(caller, action, &Resource::Project(access))?;
        Ok((po, access))
    }

    /// Whether the caller's role approves this total: executives and administrators always,
    /// a project manager up to the limit of the currency (no limit set: any total).
    async fn approves(&self, caller: &Caller, po: &PurchaseOrder) -> AppResult<Result<(), i64>> {
        if matches!(caller.actor.role, Role::Admin | Role::Executive) {
            return Ok(Ok(()));
        }
        let total = po.total_minor.unwrap_or(0);
        match self.po_limit(&po.currency).await? {
            Some(limit) if total > limit => Ok(Err(limit)),
            _ => Ok(Ok(())),
        }
    }

    async fn po_abilities(
        &self,
        caller: &Caller,
        po: &PurchaseOrder,
        access: ProjectAccess,
    ) -> AppResult<PoAbilities> {
        let raise = self.may(caller, Action::RaisePurchaseOrders, access);
        let approve =
            po.status == PoStatus::Draft && self.may(caller, Action::ApprovePurchaseOrders, access);
        Ok(PoAbilities {
            edit: raise && po.is_editable(),
            approve,
            within_limit: self.approves(caller, po).await?.is_ok(),
            send: po.status == PoStatus::Approved
                && self.may(caller, Action::SendPurchaseOrders, access),
            cancel: raise && po.may_cancel(),
            close: raise && po.may_close(),
            receive: po.status.is_receivable() && self.may(caller, Action::ReceiveGoods, access),
            see_prices: self.po_prices_visible(caller, access).await,
        })
    }

    /// An order with its lines (prices only for those who may see them).
    pub async fn get_purchase_order(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<PurchaseOrderDetails> {
        let (po, access) = self.po_for(caller, id, Action::ViewPurchaseOrders).await?;
        self.po_details(caller, po, access).await
    }

    async fn po_details(
        &self,
        caller: &Caller,
        po: PurchaseOrder,
        access: ProjectAccess,
    ) -> AppResult<PurchaseOrderDetails> {
        let abilities = self.po_abilities(caller, &po, access).await?;
        let mut lines = self.store.purchase_order_lines(po.id).await?;
        let order = if abilities.see_prices {
            po
        } else {
            lines = lines.into_iter().map(PoLine::without_prices).collect();
            po.without_prices()
        };
        Ok(PurchaseOrderDetails {
            order,
            lines,
            abilities,
        })
    }

    /// The project's orders, newest first; a page, or all with `None`.
    pub async fn list_purchase_orders(
        &self,
        caller: &Caller,
        project_id: Uuid,
        filter: &PoFilter,
        paging: Option<Paging>,
    ) -> AppResult<(Vec<PurchaseOrder>, i64, bool)> {
        let access = self.access_for(caller, project_id).await?;
        ensure(
            caller,
            Action::ViewPurchaseOrders,
            &Resource::Project(access),
        )?;
        let prices = self.po_prices_visible(caller, access).await;
        let (items, total) = self
            .store
            .list_purchase_orders(project_id, filter, paging)
            .await?;
        let items = if prices {
            items
        } else {
            items
                .into_iter()
                .map(PurchaseOrder::without_prices)
                .collect()
        };
        Ok((items, total, prices))
    }

    /// Every order of the project with its lines, for the xlsx export (prices as the
    /// caller may see them).
    pub async fn purchase_order_register(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<(Project, Vec<(PurchaseOrder, Vec<PoLine>)>, bool)> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(
            caller,
            Action::ViewPurchaseOrders,
            &Resource::Project(access),
        )?;
        let (items, _, prices) = self
            .list_purchase_orders(caller, project_id, &PoFilter::default(), None)
            .await?;
        let mut out = Vec::with_capacity(items.len());
        for po in items {
            let mut lines = self.store.purchase_order_lines(po.id).await?;
            if !prices {
                lines = lines.into_iter().map(PoLine::without_prices).collect();
            }
            out.push((po, lines));
        }
        Ok((project, out, prices))
    }

    /// Whether the caller may raise orders here (for showing the button).
    pub fn may_raise_purchase_orders(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may(caller, Action::RaisePurchaseOrders, access)
    }

    /// The project's approved specifications not yet ordered, for "raise from specs".
    pub async fn specs_to_order(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Vec<SpecForPo>> {
        let access = self.access_for(caller, project_id).await?;
        ensure(
            caller,
            Action::RaisePurchaseOrders,
            &Resource::Project(access),
        )?;
        let specs = self.store.list_specs(project_id).await?;
        let ids: Vec<Uuid> = specs
            .iter()
            .filter(|s| {
                s.status == SpecStatus::Approved && s.procurement.is_none_or(|p| !p.is_ordered())
            })
            .map(|s| s.id)
            .collect();
        self.store.specs_for_po(&ids).await
    }

    /// Checks a supplier for an order: in the directory and not archived.
    async fn po_supplier_checked(
        &self,
        errors: &mut FieldErrors,
        id: Option<Uuid>,
    ) -> AppResult<Option<PoSupplier>> {
        let Some(id) = id else {
            errors.add(
                "supplier_id",
                "is required: choose the supplier to order from",
            );
            return Ok(None);
        };
        match self.store.po_supplier(id).await? {
            Some(s) if !s.archived => Ok(Some(s)),
            Some(s) => {
                errors.add(
                    "supplier_id",
                    format!("{} is archived: choose a current supplier", s.name),
                );
                Ok(None)
            }
            None => {
                errors.add("supplier_id", "must be a supplier of the directory");
                Ok(None)
            }
        }
    }

    /// Validates a line for an order of `project_id`.
    async fn po_line_row(
        &self,
        errors: &mut FieldErrors,
        project_id: Uuid,
        id: Uuid,
        input: &PoLineInput,
    ) -> AppResult<Option<PoLineRow>> {
        let before = errors.0.len();
        let description = required_text(errors, "description", &input.description, DESCRIPTION_MAX);
        let unit = required_text(errors, "unit", &input.unit, UNIT_MAX);
        let total = check_line(errors, input.quantity, input.unit_price_minor);
        if let Some(spec_id) = input.spec_id {
            let found = self.store.specs_for_po(&[spec_id]).await?;
            if found.first().is_none_or(|s| s.project_id != project_id) {
                errors.add("spec_id", "must be a specification of this project");
            }
        }
        if let Some(item_id) = input.scope_item_id {
            match self.store.get_scope_item(item_id).await? {
                Some(i) if i.project_id == project_id => {}
                _ => errors.add("scope_item_id", "must be a scope item of this project"),
            }
        }
        if errors.0.len() > before {
            return Ok(None);
        }
        Ok(total.map(|total_minor| PoLineRow {
            id,
            spec_id: input.spec_id,
            scope_item_id: input.scope_item_id,
            description,
            quantity: input.quantity,
            unit,
            unit_price_minor: input.unit_price_minor,
            total_minor,
            required_on: input.required_on,
        }))
    }

    /// Lines prefilled from approved specifications of the project, and their one supplier.
    async fn lines_from_specs(
        &self,
        errors: &mut FieldErrors,
        project_id: Uuid,
        spec_ids: &[Uuid],
    ) -> AppResult<(Option<Uuid>, Vec<PoLineInput>)> {
        if spec_ids.len() > SPECS_MAX {
            errors.add("spec_ids", format!("at most {SPECS_MAX} specifications"));
            return Ok((None, Vec::new()));
        }
        let mut unique = spec_ids.to_vec();
        unique.sort();
        unique.dedup();
        let specs = self.store.specs_for_po(&unique).await?;
        let mut lines = Vec::new();
        let mut supplier: Option<(Uuid, String)> = None;
        for id in spec_ids {
            let Some(s) = specs
                .iter()
                .find(|s| s.id == *id && s.project_id == project_id)
            else {
                errors.add(
                    "spec_ids",
                    format!("{id} is not a specification of this project"),
                );
                continue;
            };
            if lines.iter().any(|l: &PoLineInput| l.spec_id == Some(s.id)) {
                continue;
            }
            if s.status != SpecStatus::Approved {
                errors.add(
                    "spec_ids",
                    format!(
                        "{} is not approved: only approved specifications are ordered",
                        s.code
                    ),
                );
                continue;
            }
            match (&supplier, s.supplier_id) {
                (_, None) => errors.add(
                    "spec_ids",
                    format!("{} has no supplier: set its supplier first", s.code),
                ),
                (None, Some(sid)) => {
                    supplier = Some((sid, s.supplier_name.clone().unwrap_or_default()))
                }
                (Some((first, name)), Some(sid)) if *first != sid => errors.add(
                    "spec_ids",
                    format!(
                        "{} is supplied by {}, not {name}: one order goes to one supplier",
                        s.code,
                        s.supplier_name.clone().unwrap_or_default()
                    ),
                ),
                _ => {}
            }
            lines.push(PoLineInput {
                spec_id: Some(s.id),
                scope_item_id: None,
                description: format!("{} {}", s.code, s.description)
                    .chars()
                    .take(DESCRIPTION_MAX)
                    .collect(),
                quantity: if s.quantity.0 > 0 {
                    s.quantity
                } else {
                    Quantity::units(1)
                },
                unit: if s.unit.trim().is_empty() {
                    "pcs".into()
                } else {
                    s.unit.clone()
                },
                unit_price_minor: s.unit_cost_minor.unwrap_or(0).clamp(0, MONEY_MAX_MINOR),
                required_on: s.needed_on,
                version: None,
            });
        }
        Ok((supplier.map(|(id, _)| id), lines))
    }

    /// Raises an order: a draft numbered `PO-<year>-<seq>` in the project's currency.
    pub async fn create_purchase_order(
        &self,
        caller: &Caller,
        project_id: Uuid,
        input: NewPurchaseOrder,
    ) -> AppResult<PurchaseOrderDetails> {
        let (project, access) = self.project_for(caller, project_id).await?;
        ensure(
            caller,
            Action::RaisePurchaseOrders,
            &Resource::Project(access),
        )?;
        let mut errors = FieldErrors::new();
        check_currency(&mut errors, input.currency.as_deref(), &project.currency);
        let mut supplier_id = input.supplier_id;
        let mut line_inputs = Vec::new();
        if !input.spec_ids.is_empty() {
            let (from_specs, lines) = self
                .lines_from_specs(&mut errors, project_id, &input.spec_ids)
                .await?;
            if let (Some(given), Some(theirs)) = (supplier_id, from_specs)
                && given != theirs
            {
                errors.add(
                    "supplier_id",
                    "differs from the specifications' supplier; leave it out or change theirs",
                );
            }
            supplier_id = supplier_id.or(from_specs);
            line_inputs = lines;
        }
        line_inputs.extend(input.lines.iter().cloned());
        if line_inputs.len() > LINES_MAX {
            errors.add("lines", format!("at most {LINES_MAX} lines"));
        }
        let supplier = if input.spec_ids.is_empty() || supplier_id.is_some() {
            self.po_supplier_checked(&mut errors, supplier_id).await?
        } else {
            None
        };
        let delivery_address = optional_text(
            &mut errors,
            "delivery_address",
            input.delivery_address.as_deref(),
            TEXT_MAX,
        )
        .or_else(|| project.location.clone());
        let terms = optional_text(&mut errors, "terms", input.terms.as_deref(), TEXT_MAX)
            .or(supplier.as_ref().and_then(|s| s.payment_terms.clone()));
        let notes = optional_text(&mut errors, "notes", input.notes.as_deref(), TEXT_MAX);
        let mut rows = Vec::with_capacity(line_inputs.len());
        for (i, l) in line_inputs.iter().enumerate() {
            let mut e = FieldErrors::new();
            if let Some(row) = self
                .po_line_row(&mut e, project_id, formula_domain::new_id(), l)
                .await?
            {
                rows.push(row);
            }
            for fe in e.0 {
                errors.add(&format!("lines[{i}].{}", fe.field), fe.message);
            }
        }
        errors.into_result()?;
        let Some(supplier) = supplier else {
            return Err(AppError::field("supplier_id", "is required"));
        };
        let now = self.now();
        let row = NewPoRow {
            id: formula_domain::new_id(),
            project_id,
            supplier_id: supplier.id,
            currency: project.currency.clone(),
            required_on: input
                .required_on
                .or_else(|| rows.iter().filter_map(|r| r.required_on).min()),
            delivery_address,
            terms,
            notes,
            created_by: caller.actor.user_id,
            created_at: now,
        };
        let mut ch = vec![
            change("supplier", None, Some(supplier.name.clone())),
            change("lines", None, Some(rows.len().to_string())),
        ];
        if !input.spec_ids.is_empty() {
            ch.push(change(
                "from_specs",
                None,
                Some(input.spec_ids.len().to_string()),
            ));
        }
        let a = audit(caller, "create", "purchase_order", row.id, "", ch).in_project(project_id);
        self.store
            .insert_purchase_order(&row, now.year(), &rows, &a)
            .await?;
        let po = self
            .store
            .get_purchase_order(row.id)
            .await?
            .ok_or(AppError::NotFound("purchase order"))?;
        self.announce(
            caller,
            PO_CHANGED,
            project_id,
            po.id,
            Some(po.version),
            true,
        )
        .await;
        self.po_awaiting_approval(caller, &po, project.client_id)
            .await;
        self.po_details(caller, po, access).await
    }

    /// A draft the caller may edit, checked against the version they saw.
    async fn po_draft_for(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<(PurchaseOrder, ProjectAccess)> {
        let (po, access) = self.po_for(caller, id, Action::RaisePurchaseOrders).await?;
        check_version(expected_version, po.version, None, po.updated_at)?;
        if !po.is_editable() {
            return Err(AppError::Conflict {
                code: "locked",
                message: format!(
                    "{} is {}: only a draft changes",
                    po.number,
                    po.status.label().to_lowercase()
                ),
                fields: FieldErrors::new(),
            });
        }
        Ok((po, access))
    }

    /// Changes a draft's supplier, required date, delivery address, terms or notes.
    pub async fn update_purchase_order(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: PurchaseOrderPatch,
    ) -> AppResult<PurchaseOrderDetails> {
        let (po, access) = self.po_draft_for(caller, id, expected_version).await?;
        let mut errors = FieldErrors::new();
        let supplier = if patch.supplier_id.is_some_and(|s| s != po.supplier_id) {
            self.po_supplier_checked(&mut errors, patch.supplier_id)
                .await?
        } else {
            None
        };
        let text =
            |errors: &mut FieldErrors, f: &str, v: Option<Option<String>>, cur: &Option<String>| {
                match v {
                    None => cur.clone(),
                    Some(v) => optional_text(errors, f, v.as_deref(), TEXT_MAX),
                }
            };
        let header = PoHeader {
            supplier_id: supplier.as_ref().map_or(po.supplier_id, |s| s.id),
            required_on: patch.required_on.unwrap_or(po.required_on),
            delivery_address: text(
                &mut errors,
                "delivery_address",
                patch.delivery_address,
                &po.delivery_address,
            ),
            terms: text(&mut errors, "terms", patch.terms, &po.terms),
            notes: text(&mut errors, "notes", patch.notes, &po.notes),
        };
        errors.into_result()?;
        let mut ch = Vec::new();
        if let Some(s) = &supplier {
            ch.push(change(
                "supplier",
                Some(po.supplier_name.clone()),
                Some(s.name.clone()),
            ));
        }
        let d = |d: Option<Date>| d.map(|d| d.to_string());
        for (f, old, new) in [
            ("required_on", d(po.required_on), d(header.required_on)),
            (
                "delivery_address",
                po.delivery_address.clone(),
                header.delivery_address.clone(),
            ),
            ("terms", po.terms.clone(), header.terms.clone()),
            ("notes", po.notes.clone(), header.notes.clone()),
        ] {
            if old != new {
                ch.push(change(f, old, new));
            }
        }
        let a = audit(caller, "update", "purchase_order", po.id, &po.number, ch)
            .in_project(po.project_id);
        let saved = self
            .store
            .update_purchase_order(po.id, &header, expected_version, self.now(), &a)
            .await?;
        self.po_saved(caller, saved, access).await
    }

    async fn po_saved(
        &self,
        caller: &Caller,
        saved: PurchaseOrder,
        access: ProjectAccess,
    ) -> AppResult<PurchaseOrderDetails> {
        self.announce(
            caller,
            PO_CHANGED,
            saved.project_id,
            saved.id,
            Some(saved.version),
            true,
        )
        .await;
        self.po_details(caller, saved, access).await
    }

    /// Adds a line to a draft.
    pub async fn add_po_line(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        input: PoLineInput,
    ) -> AppResult<PurchaseOrderDetails> {
        self.save_po_line(caller, id, None, expected_version, input)
            .await
    }

    /// Replaces a line of a draft.
    pub async fn update_po_line(
        &self,
        caller: &Caller,
        id: Uuid,
        line_id: Uuid,
        expected_version: i64,
        input: PoLineInput,
    ) -> AppResult<PurchaseOrderDetails> {
        self.save_po_line(caller, id, Some(line_id), expected_version, input)
            .await
    }

    async fn save_po_line(
        &self,
        caller: &Caller,
        id: Uuid,
        line_id: Option<Uuid>,
        expected_version: i64,
        input: PoLineInput,
    ) -> AppResult<PurchaseOrderDetails> {
        let (po, access) = self.po_draft_for(caller, id, expected_version).await?;
        let lines = self.store.purchase_order_lines(po.id).await?;
        let old = match line_id {
            Some(l) => Some(
                lines
                    .iter()
                    .find(|x| x.id == l)
                    .ok_or(AppError::NotFound("line"))?,
            ),
            None if lines.len() >= LINES_MAX => {
                return Err(AppError::field(
                    "lines",
                    format!("at most {LINES_MAX} lines"),
                ));
            }
            None => None,
        };
        let mut errors = FieldErrors::new();
        let row = self
            .po_line_row(
                &mut errors,
                po.project_id,
                line_id.unwrap_or_else(formula_domain::new_id),
                &input,
            )
            .await?;
        errors.into_result()?;
        let Some(row) = row else {
            return Err(AppError::field("quantity", "is not valid"));
        };
        let action = if old.is_some() {
            "line_updated"
        } else {
            "line_added"
        };
        let ch = vec![change(
            "line",
            old.map(|o| format!("{} × {} {}", o.description, o.quantity, o.unit)),
            Some(format!(
                "{} × {} {}",
                row.description, row.quantity, row.unit
            )),
        )];
        let a = audit(caller, action, "purchase_order", po.id, &po.number, ch)
            .in_project(po.project_id);
        let saved = self
            .store
            .save_po_line(po.id, &row, expected_version, self.now(), &a)
            .await?;
        self.po_saved(caller, saved, access).await
    }

    /// Removes a line of a draft.
    pub async fn remove_po_line(
        &self,
        caller: &Caller,
        id: Uuid,
        line_id: Uuid,
        expected_version: i64,
    ) -> AppResult<PurchaseOrderDetails> {
        let (po, access) = self.po_draft_for(caller, id, expected_version).await?;
        let lines = self.store.purchase_order_lines(po.id).await?;
        let old = lines
            .iter()
            .find(|x| x.id == line_id)
            .ok_or(AppError::NotFound("line"))?;
        let ch = vec![change("line", Some(old.description.clone()), None)];
        let a = audit(
            caller,
            "line_removed",
            "purchase_order",
            po.id,
            &po.number,
            ch,
        )
        .in_project(po.project_id);
        let saved = self
            .store
            .delete_po_line(po.id, line_id, expected_version, self.now(), &a)
            .await?;
        self.po_saved(caller, saved, access).await
    }

    /// Approves a draft: a project manager up to the approval limit of its currency, an
    /// executive or administrator above it. Audited with the total and the limit.
    pub async fn approve_purchase_order(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<PurchaseOrderDetails> {
        let (po, access) = self
            .po_for(caller, id, Action::ApprovePurchaseOrders)
            .await?;
        check_version(expected_version, po.version, None, po.updated_at)?;
        if po.status != PoStatus::Draft {
            return Err(wrong_state(&po, "approved"));
        }
        let lines = self.store.purchase_order_lines(po.id).await?;
        if lines.is_empty() {
            return Err(AppError::Conflict {
                code: "no_lines",
                message: format!("{} has no lines: add what to order first", po.number),
                fields: FieldErrors::new(),
            });
        }
        let total = po.total_minor.unwrap_or(0);
        if let Err(limit) = self.approves(caller, &po).await? {
            let own = po.created_by == Some(caller.actor.user_id);
            return Err(AppError::Conflict {
                code: "above_approval_limit",
                message: format!(
                    "{} totals {}, above the project manager's approval limit of {}: {}an executive or an administrator must approve it",
                    po.number,
                    money_text(total, &po.currency),
                    money_text(limit, &po.currency),
                    if own {
                        "you raised it and may not approve it above your limit; "
                    } else {
                        ""
                    }
                ),
                fields: FieldErrors::new(),
            });
        }
        let limit = self.po_limit(&po.currency).await?;
        let ch = vec![
            change("status", Some("draft".into()), Some("approved".into())),
            change("total", None, Some(money_text(total, &po.currency))),
            change("limit", None, limit.map(|l| money_text(l, &po.currency))),
            change("role", None, Some(caller.actor.role.as_str().to_owned())),
        ];
        let a = audit(caller, "approve", "purchase_order", po.id, &po.number, ch)
            .in_project(po.project_id);
        let m = PoMove {
            from: PoStatus::Draft,
            to: PoStatus::Approved,
            by: caller.actor.user_id,
            at: self.now(),
            sent_to: None,
            reason: None,
        };
        let saved = self
            .store
            .move_purchase_order(po.id, &m, expected_version, None, &a)
            .await?;
        if let Some(creator) = saved.created_by
            && let Ok(project) = self.store.get_project(saved.project_id).await
            && let Some(project) = project
        {
            let mut h = po_happening(
                &saved,
                project.client_id,
                Event::PoApproved,
                format!(
                    "{} approved {} to {}",
                    caller.actor.name, saved.number, saved.supplier_name
                ),
            )
            .by(caller);
            h.parties.creator = Some(creator);
            h.occurrence = format!("{}:approved", saved.id);
            self.notify(h).await;
        }
        self.po_saved(caller, saved, access).await
    }

    /// Tells whoever may approve a new draft: the project's managers when within the limit,
    /// the executives and administrators above it.
    async fn po_awaiting_approval(&self, caller: &Caller, po: &PurchaseOrder, client_id: Uuid) {
        let total = po.total_minor.unwrap_or(0);
        let above = match self.po_limit(&po.currency).await {
            Ok(Some(limit)) => total > limit,
            Ok(None) => false,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the approval limit");
                false
            }
        };
        let people = match self.store.project_people(po.project_id).await {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "could not read the project's people");
                return;
            }
        };
        let reviewers = people
            .iter()
            .filter(|p| {
                if above {
                    matches!(p.role, Role::Admin | Role::Executive)
                } else {
                    p.membership == Some(formula_domain::project::ProjectRole::ProjectManager)
                }
            })
            .map(|p| p.id)
            .collect();
        let mut h = po_happening(
            po,
            client_id,
            Event::PoAwaitingApproval,
            format!(
                "{} raised {} to {}: awaiting your approval",
                caller.actor.name, po.number, po.supplier_name
            ),
        )
        .by(caller);
        h.parties.reviewers = reviewers;
        h.occurrence = format!("{}:raised", po.id);
        self.notify(h).await;
    }

    /// Sends an approved order: draws its PDF, keeps it as an attachment of the order,
    /// queues the mail to the supplier (or the address given) with it attached, and marks
    /// the linked specifications ordered, in one transaction with the move to "sent".
    pub async fn send_purchase_order(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        to: Option<String>,
        render: PoRenderer,
    ) -> AppResult<PurchaseOrderDetails> {
        let (po, access) = self.po_for(caller, id, Action::SendPurchaseOrders).await?;
        check_version(expected_version, po.version, None, po.updated_at)?;
        if po.status != PoStatus::Approved {
            return Err(wrong_state(&po, "sent (approve it first)"));
        }
        let supplier = self
            .store
            .po_supplier(po.supplier_id)
            .await?
            .ok_or(AppError::NotFound("supplier"))?;
        let to = match to.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => formula_domain::user::normalize_email(t)
                .map_err(|why| AppError::field("to", why))?,
            None => supplier.email.clone().ok_or_else(|| {
                AppError::field(
                    "to",
                    format!(
                        "{} has no e-mail address: give one, or add it to the supplier",
                        supplier.name
                    ),
                )
            })?,
        };
        let doc = self.po_document_of(po.clone(), supplier, true).await?;
        let file_name = doc.file_name();
        let lines = doc.lines.clone();
        let project = doc.project.clone();
        let company_name = doc.company.name.clone();
        let bytes = tokio::task::spawn_blocking(move || render(&doc))
            .await
            .map_err(|e| AppError::Internal(format!("the PDF task failed: {e}")))?
            .map_err(|e| AppError::Internal(format!("the order's PDF could not be made: {e}")))?;
        let kept = SentDocument {
            owner_kind: OwnerKind::PurchaseOrder,
            owner_id: po.id,
            project_id: po.project_id,
            label: &po.number,
            file_name: &file_name,
            mime: PDF_MIME,
            caption: "As sent to the supplier",
        };
        let attachment = self.keep_sent_document(caller, kept, bytes).await?;
        let subject = format!("Purchase order {} ({})", po.number, project.name);
        let body = format!(
            "Dear {},\n\nplease find attached our purchase order {} for the project {} ({}).\n\
             Please confirm the order and its delivery dates by replying to this e-mail.\n\n\
             Kind regards,\n{}\n",
            po.supplier_name, po.number, project.name, project.code, company_name
        );
        let mail = NewJob::email_with(
            &to,
            &subject,
            &body,
            &[JobAttachment {
                blob_key: attachment.blob_key.clone(),
                file_name: file_name.clone(),
                content_type: PDF_MIME.into(),
            }],
        );
        let today = self.today();
        let mut specs = Vec::new();
        for l in &lines {
            let Some(spec_id) = l.spec_id else { continue };
            if specs.iter().any(|(s, _, _)| *s == spec_id) {
                continue;
            }
            let a = audit(
                caller,
                "procurement",
                "spec",
                spec_id,
                l.spec_code.as_deref().unwrap_or(""),
                vec![
                    change("procurement", None, Some("ordered".into())),
                    change("po_number", None, Some(po.number.clone())),
                ],
            )
            .in_project(po.project_id);
            specs.push((spec_id, l.required_on, a));
        }
        let a = audit(
            caller,
            "send",
            "purchase_order",
            po.id,
            &po.number,
            vec![
                change("status", Some("approved".into()), Some("sent".into())),
                change("to", None, Some(to.clone())),
                change("attachment", None, Some(file_name)),
            ],
        )
        .in_project(po.project_id);
        let m = PoMove {
            from: PoStatus::Approved,
            to: PoStatus::Sent,
            by: caller.actor.user_id,
            at: self.now(),
            sent_to: Some(to),
            reason: None,
        };
        let sending = PoSending {
            mail,
            order_date: today,
            specs,
        };
        // Its specifications become ordered, which may make items ready.
        let ready_before = if sending.specs.is_empty() {
            Vec::new()
        } else {
            self.ready_items(po.project_id).await
        };
        let saved = self
            .store
            .move_purchase_order(po.id, &m, expected_version, Some(&sending), &a)
            .await?;
        self.wake_workers();
        if !sending.specs.is_empty() {
            self.newly_ready(caller, po.project_id, project.client_id, &ready_before)
                .await;
        }
        for (spec_id, _, _) in &sending.specs {
            self.announce(
                caller,
                "spec.updated",
                saved.project_id,
                *spec_id,
                None,
                false,
            )
            .await;
        }
        self.po_saved(caller, saved, access).await
    }

    /// Cancels an order not yet received (with a reason).
    pub async fn cancel_purchase_order(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        reason: &str,
    ) -> AppResult<PurchaseOrderDetails> {
        let (po, access) = self.po_for(caller, id, Action::RaisePurchaseOrders).await?;
        check_version(expected_version, po.version, None, po.updated_at)?;
        let mut errors = FieldErrors::new();
        let reason = required_text(&mut errors, "reason", reason, REASON_MAX);
        errors.into_result()?;
        if !po.may_cancel() {
            return Err(wrong_state(
                &po,
                "cancelled (goods were received or it is finished)",
            ));
        }
        self.move_po(
            caller,
            po,
            access,
            expected_version,
            PoStatus::Cancelled,
            Some(reason),
        )
        .await
    }

    /// Closes a sent or received order: nothing more is expected on it.
    pub async fn close_purchase_order(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<PurchaseOrderDetails> {
        let (po, access) = self.po_for(caller, id, Action::RaisePurchaseOrders).await?;
        check_version(expected_version, po.version, None, po.updated_at)?;
        if !po.may_close() {
            return Err(wrong_state(&po, "closed (send it first)"));
        }
        self.move_po(caller, po, access, expected_version, PoStatus::Closed, None)
            .await
    }

    async fn move_po(
        &self,
        caller: &Caller,
        po: PurchaseOrder,
        access: ProjectAccess,
        expected_version: i64,
        to: PoStatus,
        reason: Option<String>,
    ) -> AppResult<PurchaseOrderDetails> {
        let mut ch = vec![change(
            "status",
            Some(po.status.as_str().into()),
            Some(to.as_str().into()),
        )];
        if let Some(r) = &reason {
            ch.push(change("reason", None, Some(r.clone())));
        }
        let action = if to == PoStatus::Cancelled {
            "cancel"
        } else {
            "close"
        };
        let a = audit(caller, action, "purchase_order", po.id, &po.number, ch)
            .in_project(po.project_id);
        let m = PoMove {
            from: po.status,
            to,
            by: caller.actor.user_id,
            at: self.now(),
            sent_to: None,
            reason,
        };
        let saved = self
            .store
            .move_purchase_order(po.id, &m, expected_version, None, &a)
            .await?;
        self.po_saved(caller, saved, access).await
    }

    /// The order's PDF as the caller may see it (prices only with the right to see them).
    pub async fn purchase_order_document(
        &self,
        caller: &Caller,
        id: Uuid,
    ) -> AppResult<PoDocument> {
        let (po, access) = self.po_for(caller, id, Action::ViewPurchaseOrders).await?;
        let prices = self.po_prices_visible(caller, access).await;
        let supplier = self
            .store
            .po_supplier(po.supplier_id)
            .await?
            .ok_or(AppError::NotFound("supplier"))?;
        self.po_document_of(po, supplier, prices).await
    }

    async fn po_document_of(
        &self,
        po: PurchaseOrder,
        supplier: PoSupplier,
        prices: bool,
    ) -> AppResult<PoDocument> {
        let project = self
            .store
            .get_project(po.project_id)
            .await?
            .ok_or(AppError::NotFound("project"))?;
        let mut lines = self.store.purchase_order_lines(po.id).await?;
        let order = if prices {
            po
        } else {
            lines = lines.into_iter().map(PoLine::without_prices).collect();
            po.without_prices()
        };
        let company = self.store.company_settings().await?;
        let logo = self.logo_bytes(&company).await?.map(|(b, _)| b);
        Ok(PoDocument {
            project,
            order,
            lines,
            supplier,
            company,
            logo,
            prices,
            today: self.today(),
        })
    }

    /// An order as the owner of attachments (its PDF as sent): seen by those who see its
    /// prices (the PDF prints them), added to and removed by those who raise orders.
    pub(crate) async fn po_as_owner(
        &self,
        caller: &Caller,
        id: Uuid,
        manage: bool,
    ) -> AppResult<Owner> {
        let action = if manage {
            Action::RaisePurchaseOrders
        } else {
            Action::ViewPurchaseOrders
        };
        let (po, access) = self.po_for(caller, id, action).await?;
        if !self.po_prices_visible(caller, access).await {
            return Err(AppError::Forbidden);
        }
        Ok(Owner {
            project_id: po.project_id,
            label: po.number,
            comment: None,
        })
    }
}

fn wrong_state(po: &PurchaseOrder, what: &str) -> AppError {
    AppError::Conflict {
        code: "wrong_state",
        message: format!(
            "{} is {}: it cannot be {what}",
            po.number,
            po.status.label().to_lowercase()
        ),
        fields: FieldErrors::new(),
    }
}

/// A happening about an order: internal to the contractor, linked to the order's page.
fn po_happening(po: &PurchaseOrder, client_id: Uuid, event: Event, title: String) -> Happening {
    let record = RecordKey {
        kind: RecordKind::Project,
        id: po.project_id,
        project_id: po.project_id,
    };
    let mut h = Happening::new(event, record, client_id, title);
    h.link = format!("/purchase-orders/{}", po.id);
    h.client_sees = false;
    h.internal = true;
    h
}

#[cfg(test)]
mod tests {
    use super::money_text;

    #[test]
    fn money_reads_with_thousands() {
        assert_eq!(money_text(1_234_567, "EUR"), "12,345.67 EUR");
        assert_eq!(money_text(5, "EUR"), "0.05 EUR");
        assert_eq!(money_text(100_000, "USD"), "1,000.00 USD");
    }
}
