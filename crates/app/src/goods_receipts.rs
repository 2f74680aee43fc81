//! Goods receipts: recording what arrived against a sent purchase order (per line, with the
//! day, the delivery note, who received it, a note and photos), listing an order's receipts,
//! the daily "delivery late" reminders, and cost control per scope item (committed and
//! actual cost from order lines). The ledger rules live in `formula_domain::goods_receipt`;
//! the store checks them again in the transaction that adds each receipt, with the order's
//! row locked.
//!
//! Receiving shows no price (a craftsman receives); cost figures are for those who may see
//! purchase prices.

use std::collections::BTreeMap;

use formula_domain::attachment::OwnerKind;
use formula_domain::authz::{Action, ProjectAccess, Resource};
use formula_domain::comment::RecordKind;
use formula_domain::errors::{FieldErrors, optional_text};
use formula_domain::goods_receipt::{
    self as gr, CostLine, DELIVERY_NOTE_MAX, GoodsReceipt, LINES_MAX, NOTE_MAX, NewGoodsReceipt,
    NewReceiptLine, REASON_MAX, RECEIVED_BY_MAX, ReceivingOrder, check_line, line_is_late,
    receivable,
};
use formula_domain::notification::Event;
use formula_domain::project::Project;
use formula_domain::scope::Quantity;
use formula_domain::user::Role;
use serde::{Deserialize, Serialize};
use time::Date;
use uuid::Uuid;

use crate::attachments::Owner;
use crate::context::Caller;
use crate::drawings::Upload;
use crate::error::{AppError, AppResult};
use crate::idempotency::{Fingerprint, IdempotencyKey, Once};
use crate::notifications::Happening;
use crate::query::ScopeQuery;
use crate::receiving;
use crate::repos::{Received, RecordKey};
use crate::services::{Services, audit, ensure};

/// The live-update kind of a new receipt (its id is the order's).
pub const GOODS_RECEIVED: &str = "goods_receipt.recorded";

/// One line of a receipt.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptLineInput {
    /// A line of the order.
    pub line_id: Uuid,
    /// How much arrived: more than 0; at most what is left to receive unless the
    /// over-delivery is accepted.
    pub quantity: Quantity,
    /// Accepts receiving more than is left (then `over_delivery_reason` is required).
    #[serde(default)]
    pub accept_over_delivery: bool,
    /// Why more than ordered was accepted.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub over_delivery_reason: Option<String>,
}

/// A receipt to record against an order.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptInput {
    /// The day it arrived (default today); not in the future, nor before 2000.
    #[serde(default)]
    pub received_on: Option<Date>,
    /// The supplier's delivery-note number.
    #[serde(default)]
    #[schema(max_length = 120)]
    pub delivery_note: Option<String>,
    /// Who received it, when not the caller (a name as written).
    #[serde(default)]
    #[schema(max_length = 120)]
    pub received_by_name: Option<String>,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// The lines received (at least one; each line of the order at most once).
    #[schema(min_items = 1, max_items = 500)]
    pub lines: Vec<ReceiptLineInput>,
}

/// An order's receiving: its lines (late ones flagged) and its receipts, newest first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Receiving {
    pub order: ReceivingOrder,
    pub receipts: Vec<GoodsReceipt>,
    /// Whether the caller may record a receipt now (the order sent or partially received).
    pub may_receive: bool,
}

/// Committed and actual cost of a scope item, a group or the project, against its budget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CostControl {
    pub budget_minor: i64,
    pub committed_minor: i64,
    pub actual_minor: i64,
}

impl CostControl {
    /// How far the committed cost is from the budget, coloured by the scope's thresholds.
    pub fn deviation(&self) -> Option<formula_domain::scope::Deviation> {
        formula_domain::scope::Deviation::of(self.budget_minor, self.committed_minor)
    }
}

/// Cost control of a project: per scope item, per group, and the whole.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ProjectCosts {
    pub currency: String,
    pub items: BTreeMap<Uuid, CostControl>,
    pub groups: BTreeMap<Uuid, CostControl>,
    pub total: CostControl,
}

fn add(a: &mut CostControl, b: &CostControl) {
    a.budget_minor = a.budget_minor.saturating_add(b.budget_minor);
    a.committed_minor = a.committed_minor.saturating_add(b.committed_minor);
    a.actual_minor = a.actual_minor.saturating_add(b.actual_minor);
}

impl Services {
    /// An order of a project whose orders the caller may see, checked for `action` too.
    /// Anyone who may not see the project's orders (a client user above all) is told it does
    /// not exist; one who sees it but may not do `action` is refused.
    pub(crate) async fn receiving_order_for(
        &self,
        caller: &Caller,
        id: Uuid,
        action: Action,
    ) -> AppResult<(ReceivingOrder, Project, ProjectAccess)> {
        let not_found = || AppError::NotFound("purchase order");
        if caller.actor.role == Role::Client {
            return Err(not_found());
        }
        let order = self
            .store
            .receiving_order(id)
            .await?
            .ok_or_else(not_found)?;
        let (project, access) = self
            .scope_project(caller, order.project_id, Action::ViewPurchaseOrders)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) | AppError::Forbidden => not_found(),
                other => other,
            })?;
        ensure(caller, action, &Resource::Project(access))?;
        Ok((order, project, access))
    }

    /// The owner of a receipt's photos, for the attachment routes.
    pub(crate) async fn receipt_as_owner(
        &self,
        caller: &Caller,
        id: Uuid,
        manage: bool,
    ) -> AppResult<Owner> {
        let (receipt, _) = self
            .store
            .get_receipt(id)
            .await?
            .ok_or(AppError::NotFound("goods receipt"))?;
        let action = if manage {
            Action::ReceiveGoods
        } else {
            Action::ViewPurchaseOrders
        };
        let (order, _, _) = self
            .receiving_order_for(caller, receipt.purchase_order_id, action)
            .await
            .map_err(|e| match e {
                AppError::NotFound(_) => AppError::NotFound("goods receipt"),
                other => other,
            })?;
        Ok(Owner {
            project_id: order.project_id,
            label: format!("{} receipt {}", order.number, receipt.received_on),
            comment: None,
        })
    }

    /// Flags the lines not fully received by their required date.
    fn flag_late(&self, order: &mut ReceivingOrder) {
        let today = self.today();
        for l in &mut order.lines {
            l.late = line_is_late(l.required_on, l.quantity, l.received, l.received_on, today);
        }
    }

    /// An order's lines (ordered, received, remaining; late ones flagged) and its receipts
    /// with their photos.
    pub async fn receiving(
        &self,
        caller: &Caller,
        purchase_order_id: Uuid,
    ) -> AppResult<Receiving> {
        let (mut order, _, access) = self
            .receiving_order_for(caller, purchase_order_id, Action::ViewPurchaseOrders)
            .await?;
        self.flag_late(&mut order);
        let receipts = self.receipts_with_photos(order.id).await?;
        let may_receive =
            receivable(&order.status) && self.may(caller, Action::ReceiveGoods, access);
        Ok(Receiving {
            order,
            receipts,
            may_receive,
        })
    }

    /// The sent orders (nothing received yet) the caller may receive against, oldest first.
    pub async fn orders_to_receive(&self, caller: &Caller) -> AppResult<Vec<Uuid>> {
        let mut out = Vec::new();
        for id in self.store.sent_orders().await? {
            match self
                .receiving_order_for(caller, id, Action::ReceiveGoods)
                .await
            {
                Ok(_) => out.push(id),
                Err(AppError::NotFound(_) | AppError::Forbidden) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// The receipts of an order, newest first, with their photos.
    pub async fn list_receipts(
        &self,
        caller: &Caller,
        purchase_order_id: Uuid,
    ) -> AppResult<Vec<GoodsReceipt>> {
        let (order, _, _) = self
            .receiving_order_for(caller, purchase_order_id, Action::ViewPurchaseOrders)
            .await?;
        self.receipts_with_photos(order.id).await
    }

    async fn receipts_with_photos(&self, order_id: Uuid) -> AppResult<Vec<GoodsReceipt>> {
        let mut receipts = self.store.list_receipts(order_id).await?;
        self.fill_receipt_photos(OwnerKind::GoodsReceipt, &mut receipts, |r| {
            (r.id, &mut r.photos)
        })
        .await?;
        Ok(receipts)
    }

    /// Records a receipt against a sent (or partially received) order, with photos. With an
    /// idempotency key, a retry records nothing and answers with the receipt the first
    /// request made (`.1` is then `false`).
    pub async fn record_receipt(
        &self,
        caller: &Caller,
        purchase_order_id: Uuid,
        input: ReceiptInput,
        photos: &[Upload],
        key: Option<&IdempotencyKey>,
    ) -> AppResult<(GoodsReceipt, bool)> {
        let (order, project, _) = self
            .receiving_order_for(caller, purchase_order_id, Action::ReceiveGoods)
            .await?;
        let mut errors = FieldErrors::new();
        let received_on = receiving::received_on(&mut errors, input.received_on, self.today());
        let delivery_note = optional_text(
            &mut errors,
            "delivery_note",
            input.delivery_note.as_deref(),
            DELIVERY_NOTE_MAX,
        );
        let received_by_name = optional_text(
            &mut errors,
            "received_by_name",
            input.received_by_name.as_deref(),
            RECEIVED_BY_MAX,
        );
        let note = optional_text(&mut errors, "note", input.note.as_deref(), NOTE_MAX);
        if input.lines.is_empty() {
            errors.add("lines", "receive at least one line");
        } else if input.lines.len() > LINES_MAX {
            errors.add("lines", format!("at most {LINES_MAX} lines"));
        }
        let mut lines = Vec::with_capacity(input.lines.len());
        // Past what is left: a conflict with what the order holds (409), like the store's.
        let mut over = FieldErrors::new();
        let mut over_message: Option<String> = None;
        for (i, l) in input.lines.iter().enumerate() {
            let field = format!("lines[{i}]");
            let Some(line) = order.lines.iter().find(|x| x.id == l.line_id) else {
                errors.add(&field, format!("is not a line of {}", order.number));
                continue;
            };
            if input.lines[..i].iter().any(|x| x.line_id == l.line_id) {
                errors.add(&field, format!("line {} is given twice", line.position));
                continue;
            }
            if l.quantity > Quantity::MAX {
                errors.add(&field, "is more than any order holds");
                continue;
            }
            let reason = optional_text(
                &mut errors,
                &format!("{field}.over_delivery_reason"),
                l.over_delivery_reason.as_deref(),
                REASON_MAX,
            );
            let reason = if l.accept_over_delivery {
                if reason.is_none() {
                    errors.add(
                        &format!("{field}.over_delivery_reason"),
                        "say why more than ordered is accepted",
                    );
                }
                reason
            } else {
                None
            };
            if let Err(why) = check_line(
                line.position,
                line.quantity,
                line.received,
                l.quantity,
                reason.is_some() || l.accept_over_delivery,
            ) {
                match why {
                    gr::Refusal::OverDelivery(m) => {
                        over.add(&field, m.clone());
                        over_message.get_or_insert(m);
                    }
                    other => errors.add(&field, other.message()),
                }
            }
            lines.push(NewReceiptLine {
                line_id: l.line_id,
                quantity: l.quantity,
                over_delivery_reason: reason,
            });
        }
        let checked = receiving::check_photos(&mut errors, photos);
        errors.into_result()?;
        let mut request = Fingerprint::new("goods_receipt")
            .part(order.id.as_bytes())
            .part(received_on.to_string())
            .opt(delivery_note.as_deref())
            .opt(received_by_name.as_deref())
            .opt(note.as_deref());
        for l in &lines {
            request = request
                .part(l.line_id.as_bytes())
                .part(l.quantity.to_string())
                .opt(l.over_delivery_reason.as_deref());
        }
        let request = receiving::with_photos(request, photos);
        let label = format!("{} receipt {received_on}", order.number);
        // A receipt moves the specifications' procurement, which the readiness gate reads
        // (when the project wants materials delivered): items it makes ready are announced.
        let ready_before = self.ready_items(order.project_id).await;
        let once = self
            .once(
                caller,
                key,
                "goods_receipt",
                request,
                |(r, _): &(GoodsReceipt, Received)| r.id,
                || async {
                    // What the order holds now refuses the plain cases; the store checks
                    // again with the order locked. (A retry of a recorded receipt never
                    // gets here: it is answered with the first.)
                    if !receivable(&order.status) {
                        return Err(AppError::Conflict {
                            code: "not_receivable",
                            message: format!(
                                "{} is {}: goods are received against a sent order only",
                                order.number,
                                order.status.replace('_', " ")
                            ),
                            fields: FieldErrors::new(),
                        });
                    }
                    if let Some(message) = over_message.clone() {
                        return Err(AppError::Conflict {
                            code: "over_delivery",
                            message,
                            fields: over.clone(),
                        });
                    }
                    let new = NewGoodsReceipt {
                        id: formula_domain::new_id(),
                        purchase_order_id: order.id,
                        received_on,
                        delivery_note: delivery_note.clone(),
                        received_by: if received_by_name.is_none() {
                            Some(caller.actor.user_id)
                        } else {
                            None
                        },
                        received_by_name: received_by_name
                            .clone()
                            .or_else(|| Some(caller.actor.name.clone())),
                        note: note.clone(),
                        recorded_at: self.now(),
                        lines: lines.clone(),
                    };
                    let changes = new
                        .lines
                        .iter()
                        .map(|l| {
                            let pos = order
                                .lines
                                .iter()
                                .find(|x| x.id == l.line_id)
                                .map_or(0, |x| x.position);
                            formula_domain::audit::FieldChange {
                                field: format!("line {pos}"),
                                old: serde_json::Value::Null,
                                new: serde_json::json!({
                                    "quantity": l.quantity.to_string(),
                                    "over_delivery_reason": l.over_delivery_reason,
                                }),
                            }
                        })
                        .collect();
                    let a = audit(caller, "receive", "goods_receipt", new.id, &label, changes)
                        .in_project(order.project_id);
                    let received = self.store.record_receipt(&new, &a).await?;
                    let owner = Owner::record(order.project_id, label.clone());
                    self.keep_receipt_photos(
                        caller,
                        &owner,
                        (OwnerKind::GoodsReceipt, new.id),
                        photos,
                        &checked,
                    )
                    .await;
                    let made = self
                        .store
                        .get_receipt(new.id)
                        .await?
                        .map(|(r, _)| r)
                        .ok_or(AppError::NotFound("goods receipt"))?;
                    Ok((made, received))
                },
            )
            .await?;
        let (id, fresh) = match once {
            Once::New((made, received)) => {
                self.receipt_announced(caller, &order, &project, &received)
                    .await;
                if !received.specs.is_empty() {
                    self.newly_ready(caller, order.project_id, project.client_id, &ready_before)
                        .await;
                }
                (made.id, true)
            }
            Once::Earlier(id) => (id, false),
        };
        let mut all = self.receipts_with_photos(order.id).await?;
        let i = all
            .iter()
            .position(|r| r.id == id)
            .ok_or(AppError::NotFound("goods receipt"))?;
        Ok((all.swap_remove(i), fresh))
    }

    /// Live updates and the "goods received" notification of a new receipt.
    async fn receipt_announced(
        &self,
        caller: &Caller,
        order: &ReceivingOrder,
        project: &Project,
        received: &Received,
    ) {
        self.changed(caller, GOODS_RECEIVED, order.project_id, order.id, None)
            .await;
        for (spec_id, _, _) in &received.specs {
            self.changed(caller, "spec.updated", order.project_id, *spec_id, None)
                .await;
        }
        let record = RecordKey {
            kind: RecordKind::Project,
            id: order.project_id,
            project_id: order.project_id,
        };
        let mut h = Happening::new(
            Event::GoodsReceived,
            record,
            project.client_id,
            format!(
                "Goods received against {} from {} ({})",
                order.number,
                order.supplier_name,
                received.status.replace('_', " ")
            ),
        )
        .by(caller);
        // Purchasing is the contractor's business: never the client's.
        h.internal = true;
        h.client_sees = false;
        h.link = format!("/purchase-orders/{}/receive", order.id);
        h.parties.creator = order.created_by;
        h.occurrence = format!("{}:{}", order.id, self.now().unix_timestamp_nanos());
        self.notify(h).await;
    }

    /// Whether the caller may see purchase prices on a project. The one place the cost
    /// figures ask; at merge it becomes `purchasing_prices::may_see_purchase_prices`.
    /// Fails closed, as the purchase orders do: no prices if the settings cannot be read.
    async fn sees_purchase_prices(&self, caller: &Caller, access: ProjectAccess) -> bool {
        self.may_see_purchase_prices(caller, &access)
            .await
            .unwrap_or(false)
    }

    /// Cost control of a project: per scope item, per group and the whole, budget (the
    /// BOQ's budgeted cost), committed (lines of orders approved or further, not cancelled)
    /// and actual (what was received of them, at the line's unit price). A line linked
    /// through a specification is split across the specification's scope items in
    /// proportion to their quantities, exactly (`goods_receipt::split_exact`). `None` for a
    /// caller who may not see purchase prices. A line in another currency than the
    /// project's is refused (409 `mixed_currencies`), never added.
    pub async fn project_costs(
        &self,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Option<ProjectCosts>> {
        let (project, access) = self
            .scope_project(caller, project_id, Action::ViewScope)
            .await?;
        if !self.sees_purchase_prices(caller, access).await {
            return Ok(None);
        }
        Ok(Some(self.costs_of(&project).await?))
    }

    /// Cost control of a project, unchecked (the caller was authorised).
    pub(crate) async fn costs_of(&self, project: &Project) -> AppResult<ProjectCosts> {
        let lines: Vec<CostLine> = self
            .store
            .committed_lines(project.id)
            .await?
            .into_iter()
            .map(|l| CostLine {
                currency: l.currency,
                total_minor: l.total_minor,
                unit_price_minor: l.unit_price_minor,
                received: l.received,
                scope_item_id: l.scope_item_id,
                spec_items: l.spec_items,
            })
            .collect();
        let by_item =
            gr::costs_by_item(&project.currency, &lines).map_err(|e| AppError::Conflict {
                code: "mixed_currencies",
                message: e.to_string(),
                fields: FieldErrors::new(),
            })?;
        let items = self
            .store
            .list_scope_items(&ScopeQuery::all(project.id))
            .await?
            .items;
        let mut out = ProjectCosts {
            currency: project.currency.clone(),
            ..ProjectCosts::default()
        };
        for item in &items {
            if item.currency != project.currency && item.budget_cost_minor.is_some() {
                return Err(AppError::Conflict {
                    code: "mixed_currencies",
                    message: format!(
                        "{} is priced in {}, the project in {}: a sum holds one currency",
                        item.code, item.currency, project.currency
                    ),
                    fields: FieldErrors::new(),
                });
            }
            let c = by_item.get(&item.id).copied().unwrap_or_default();
            let cost = CostControl {
                budget_minor: item.budget_cost_minor.unwrap_or(0),
                committed_minor: c.committed_minor,
                actual_minor: c.actual_minor,
            };
            add(out.groups.entry(item.group_id).or_default(), &cost);
            add(&mut out.total, &cost);
            out.items.insert(item.id, cost);
        }
        // Lines of items no longer in the scope still count for the project.
        let known: std::collections::BTreeSet<Uuid> = items.iter().map(|i| i.id).collect();
        for (id, c) in &by_item {
            if !known.contains(id) {
                out.total.committed_minor =
                    out.total.committed_minor.saturating_add(c.committed_minor);
                out.total.actual_minor = out.total.actual_minor.saturating_add(c.actual_minor);
            }
        }
        Ok(out)
    }

    /// Lines of sent orders past their required date and not fully received, told to the
    /// order's creator and the project's managers once a day (from the reminders job).
    pub(crate) async fn delivery_reminders(&self, today: Date) -> AppResult<usize> {
        let mut reported = 0;
        let mut projects: BTreeMap<Uuid, Option<Project>> = BTreeMap::new();
        for l in self.store.late_order_lines(today).await? {
            let project = match projects.get(&l.project_id) {
                Some(p) => p.clone(),
                None => {
                    let p = self.store.get_project(l.project_id).await?;
                    projects.insert(l.project_id, p.clone());
                    p
                }
            };
            let Some(project) = project else { continue };
            let record = RecordKey {
                kind: RecordKind::Project,
                id: project.id,
                project_id: project.id,
            };
            let mut h = Happening::new(
                Event::DeliveryLate,
                record,
                project.client_id,
                format!(
                    "{} line {} ({}) from {} is late: {} of {} received, required by {}",
                    l.number,
                    l.position,
                    l.description,
                    l.supplier_name,
                    l.received,
                    l.quantity,
                    l.required_on
                ),
            );
            h.internal = true;
            h.client_sees = false;
            h.link = format!("/purchase-orders/{}/receive", l.purchase_order_id);
            h.parties.creator = l.created_by;
            // Once a day per order line.
            h.occurrence = format!("{}:{}:{today}", l.purchase_order_id, l.position);
            self.notify(h).await;
            reported += 1;
        }
        Ok(reported)
    }
}
