//! The supplier directory: suppliers and their contacts, what uses them, and how they have
//! delivered. Staff read it; project managers, coordinators and administrators keep it.
//! Client users see nothing of it, by any route.

use std::collections::HashMap;

use formula_domain::authz::{Action, ProjectAccess, Resource, authorize};
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use formula_domain::money::Money;
use formula_domain::supplier::{
    Supplier, SupplierContact, SupplierFigures, check_lead_time, parse_categories,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::query::Page;
use crate::repos::{SupplierFilter, SupplierOrderRow, SupplierSpecRow};
use crate::services::{Services, audit, changes, check_version, created, double_option, ensure};

/// A supplier to add to the directory.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSupplier {
    /// 1 to 200 characters, unique whatever the case.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Trade categories: words of letters, digits, spaces, `-` and `&`, up to 40
    /// characters each, at most 12 (the specification categories are suggested; others
    /// are welcome).
    #[serde(default)]
    #[schema(max_items = 12)]
    pub categories: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 254)]
    pub email: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    /// A web address such as `example.com`.
    #[serde(default)]
    #[schema(max_length = 300)]
    pub website: Option<String>,
    #[serde(default)]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50)]
    pub tax_number: Option<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub payment_terms: Option<String>,
    /// 0 to 730 days.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 730)]
    pub lead_time_days: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
}

/// Changes to a supplier; absent fields stay, `null` clears (the name cannot be cleared).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierPatch {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(max_items = 12)]
    pub categories: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 254)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 50)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 300)]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 50)]
    pub tax_number: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub payment_terms: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 730)]
    pub lead_time_days: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, max_length = 5000)]
    pub notes: Option<Option<String>>,
    /// The version being changed (or send `If-Match`).
    pub version: Option<i64>,
}

/// A contact person to add or change at a supplier.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplierContactInput {
    /// 1 to 120 characters.
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 120)]
    pub role: Option<String>,
    #[serde(default)]
    #[schema(max_length = 254)]
    pub email: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    /// When changing a contact: its new 0-based place in the list (past the end: last).
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1000)]
    pub position: Option<i32>,
}

/// A specification naming the supplier, on a project the caller can see.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SupplierSpec {
    pub project_id: Uuid,
    pub project_code: String,
    pub project_name: String,
    pub spec_id: Uuid,
    pub code: String,
    pub description: String,
    pub status: String,
}

/// A purchase order to the supplier, on a project the caller can see; its total only for
/// those who may see its project's purchase prices.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SupplierOrder {
    pub id: Uuid,
    pub project_id: Uuid,
    pub project_code: String,
    pub number: String,
    pub status: String,
    pub total: Option<Money>,
    #[schema(value_type = Option<String>, format = Date)]
    pub required_on: Option<time::Date>,
}

/// A supplier with its contacts, the specifications and orders that use it (where the
/// caller can see them) and its figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct SupplierDetails {
    #[serde(flatten)]
    pub supplier: Supplier,
    pub contacts: Vec<SupplierContact>,
    pub specs: Vec<SupplierSpec>,
    pub orders: Vec<SupplierOrder>,
    pub figures: SupplierFigures,
}

fn email(errors: &mut FieldErrors, value: Option<&str>) -> Option<String> {
    let e = optional_text(errors, "email", value, 254)?;
    match formula_domain::user::normalize_email(&e) {
        Ok(e) => Some(e),
        Err(m) => {
            errors.add("email", m);
            None
        }
    }
}

fn website(errors: &mut FieldErrors, value: Option<&str>) -> Option<String> {
    let w = optional_text(errors, "website", value, 300)?;
    match formula_domain::client::web_address(w.clone()) {
        Ok(w) => Some(w),
        Err(m) => {
            errors.add("website", m);
            Some(w)
        }
    }
}

fn contact_fields(
    errors: &mut FieldErrors,
    input: &SupplierContactInput,
) -> (String, Option<String>, Option<String>, Option<String>) {
    let name = required_text(errors, "name", &input.name, 120);
    let role = optional_text(errors, "role", input.role.as_deref(), 120);
    let email = email(errors, input.email.as_deref());
    let phone = optional_text(errors, "phone", input.phone.as_deref(), 50);
    if input.position.is_some_and(|p| !(0..=1000).contains(&p)) {
        errors.add("position", "must be a place in the list from 0 to 1000");
    }
    (name, role, email, phone)
}

impl Services {
    /// The directory, filtered and paged (active suppliers unless `archived` says).
    pub async fn list_suppliers(
        &self,
        caller: &Caller,
        filter: &SupplierFilter,
    ) -> AppResult<Page<Supplier>> {
        ensure(caller, Action::ViewSuppliers, &Resource::Global)?;
        self.store.list_suppliers(filter).await
    }

    /// Every active supplier, by name (for a specification's select).
    pub async fn active_suppliers(&self, caller: &Caller) -> AppResult<Vec<Supplier>> {
        ensure(caller, Action::ViewSuppliers, &Resource::Global)?;
        let filter = SupplierFilter {
            archived: Some(false),
            paging: crate::query::Paging {
                limit: 10_000,
                offset: 0,
            },
            ..Default::default()
        };
        Ok(self.store.list_suppliers(&filter).await?.items)
    }

    /// The categories in use, for the directory's filter.
    pub async fn supplier_categories(&self, caller: &Caller) -> AppResult<Vec<String>> {
        ensure(caller, Action::ViewSuppliers, &Resource::Global)?;
        self.store.supplier_categories().await
    }

    pub async fn get_supplier(&self, caller: &Caller, id: Uuid) -> AppResult<Supplier> {
        // A client user is told nothing exists, not that it is forbidden.
        if !authorize(&caller.actor, Action::ViewSuppliers, &Resource::Global) {
            return Err(AppError::NotFound("supplier"));
        }
        self.store
            .get_supplier(id)
            .await?
            .ok_or(AppError::NotFound("supplier"))
    }

    /// Whether the caller may keep the directory (for showing buttons).
    pub fn may_manage_suppliers(&self, caller: &Caller) -> bool {
        authorize(&caller.actor, Action::ManageSuppliers, &Resource::Global)
    }

    /// The supplier with its contacts, the specifications and orders using it on the
    /// projects the caller can see, and its figures (prices as the caller may see them).
    pub async fn supplier_details(&self, caller: &Caller, id: Uuid) -> AppResult<SupplierDetails> {
        let supplier = self.get_supplier(caller, id).await?;
        let contacts = self.store.list_supplier_contacts(id).await?;
        let mut seen = Access::default();
        let mut specs = Vec::new();
        for r in self.store.supplier_specs(id).await? {
            if seen
                .may(self, caller, r.project_id, Action::ViewSpecs)
                .await?
            {
                specs.push(spec_of(r));
            }
        }
        let mut orders = Vec::new();
        let mut figures = SupplierFigures::default();
        let mut value: Vec<Money> = Vec::new();
        let mut any_prices = false;
        for r in self.store.supplier_orders(id).await? {
            if !seen
                .may(self, caller, r.project_id, Action::ViewPurchaseOrders)
                .await?
            {
                continue;
            }
            let prices = seen.prices(self, caller, r.project_id).await?;
            any_prices |= prices;
            let placed = !matches!(r.status.as_str(), "draft" | "cancelled");
            if placed {
                figures.orders += 1;
                if prices {
                    add(&mut value, &r.currency, r.total_minor);
                }
            }
            orders.push(order_of(r, prices));
        }
        let mut lines = Vec::new();
        for d in self.store.supplier_deliveries(id).await? {
            if seen
                .may(self, caller, d.project_id, Action::ViewPurchaseOrders)
                .await?
            {
                lines.push((d.required_on, d.received_on));
            }
        }
        let mut figures = figures.with_deliveries(&lines);
        if any_prices || self.may_see_all_purchase_prices(caller) {
            value.sort_by(|a, b| a.currency.cmp(&b.currency));
            figures.order_value = Some(value);
        }
        Ok(SupplierDetails {
            supplier,
            contacts,
            specs,
            orders,
            figures,
        })
    }

    pub async fn create_supplier(
        &self,
        caller: &Caller,
        input: NewSupplier,
    ) -> AppResult<Supplier> {
        ensure(caller, Action::ManageSuppliers, &Resource::Global)?;
        let mut errors = FieldErrors::new();
        let now = self.now();
        let supplier = Supplier {
            id: formula_domain::new_id(),
            name: required_text(&mut errors, "name", &input.name, 200),
            categories: parse_categories(&mut errors, &input.categories),
            email: email(&mut errors, input.email.as_deref()),
            phone: optional_text(&mut errors, "phone", input.phone.as_deref(), 50),
            website: website(&mut errors, input.website.as_deref()),
            address: optional_text(&mut errors, "address", input.address.as_deref(), 500),
            tax_number: optional_text(&mut errors, "tax_number", input.tax_number.as_deref(), 50),
            payment_terms: optional_text(
                &mut errors,
                "payment_terms",
                input.payment_terms.as_deref(),
                200,
            ),
            lead_time_days: check_lead_time(&mut errors, input.lead_time_days),
            notes: optional_text(&mut errors, "notes", input.notes.as_deref(), 5000),
            archived: false,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        errors.into_result()?;
        let a = audit(
            caller,
            "create",
            "supplier",
            supplier.id,
            &supplier.name,
            created(&supplier),
        );
        self.store.insert_supplier(&supplier, &a).await?;
        self.changed(
            caller,
            "supplier.created",
            Uuid::nil(),
            supplier.id,
            Some(1),
        )
        .await;
        Ok(supplier)
    }

    pub async fn update_supplier(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: SupplierPatch,
    ) -> AppResult<Supplier> {
        let current = self.get_supplier(caller, id).await?;
        ensure(caller, Action::ManageSuppliers, &Resource::Global)?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        if let Some(v) = patch.name {
            next.name = required_text(&mut errors, "name", &v, 200);
        }
        if let Some(v) = patch.categories {
            next.categories = parse_categories(&mut errors, &v);
        }
        if let Some(v) = patch.email {
            next.email = email(&mut errors, v.as_deref());
        }
        if let Some(v) = patch.phone {
            next.phone = optional_text(&mut errors, "phone", v.as_deref(), 50);
        }
        if let Some(v) = patch.website {
            next.website = website(&mut errors, v.as_deref());
        }
        if let Some(v) = patch.address {
            next.address = optional_text(&mut errors, "address", v.as_deref(), 500);
        }
        if let Some(v) = patch.tax_number {
            next.tax_number = optional_text(&mut errors, "tax_number", v.as_deref(), 50);
        }
        if let Some(v) = patch.payment_terms {
            next.payment_terms = optional_text(&mut errors, "payment_terms", v.as_deref(), 200);
        }
        if let Some(v) = patch.lead_time_days {
            next.lead_time_days = check_lead_time(&mut errors, v);
        }
        if let Some(v) = patch.notes {
            next.notes = optional_text(&mut errors, "notes", v.as_deref(), 5000);
        }
        errors.into_result()?;
        self.save_supplier(caller, &current, next, expected_version, "update")
            .await
    }

    /// Archives (`true`) or brings back (`false`) a supplier; archived ones stay on what
    /// refers to them but are offered for nothing new.
    pub async fn set_supplier_archived(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        archived: bool,
    ) -> AppResult<Supplier> {
        let current = self.get_supplier(caller, id).await?;
        ensure(caller, Action::ManageSuppliers, &Resource::Global)?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut next = current.clone();
        next.archived = archived;
        let action = if archived { "archive" } else { "unarchive" };
        self.save_supplier(caller, &current, next, expected_version, action)
            .await
    }

    async fn save_supplier(
        &self,
        caller: &Caller,
        current: &Supplier,
        mut next: Supplier,
        expected_version: i64,
        action: &str,
    ) -> AppResult<Supplier> {
        next.updated_at = self.now();
        let a = audit(
            caller,
            action,
            "supplier",
            next.id,
            &next.name,
            changes(current, &next),
        );
        let saved = self
            .store
            .update_supplier(&next, expected_version, &a)
            .await?;
        self.changed(
            caller,
            "supplier.updated",
            Uuid::nil(),
            saved.id,
            Some(saved.version),
        )
        .await;
        Ok(saved)
    }

    pub async fn list_supplier_contacts(
        &self,
        caller: &Caller,
        supplier_id: Uuid,
    ) -> AppResult<Vec<SupplierContact>> {
        self.get_supplier(caller, supplier_id).await?;
        self.store.list_supplier_contacts(supplier_id).await
    }

    pub async fn add_supplier_contact(
        &self,
        caller: &Caller,
        supplier_id: Uuid,
        input: SupplierContactInput,
    ) -> AppResult<SupplierContact> {
        let supplier = self.get_supplier(caller, supplier_id).await?;
        ensure(caller, Action::ManageSuppliers, &Resource::Global)?;
        let mut errors = FieldErrors::new();
        let (name, role, email, phone) = contact_fields(&mut errors, &input);
        errors.into_result()?;
        let contact = SupplierContact {
            id: formula_domain::new_id(),
            supplier_id,
            name,
            role,
            email,
            phone,
            position: 0,
        };
        let a = audit(
            caller,
            "add_contact",
            "supplier",
            supplier_id,
            &supplier.name,
            created(&contact),
        );
        let saved = self.store.insert_supplier_contact(&contact, &a).await?;
        self.changed(caller, "supplier.updated", Uuid::nil(), supplier_id, None)
            .await;
        Ok(saved)
    }

    pub async fn update_supplier_contact(
        &self,
        caller: &Caller,
        supplier_id: Uuid,
        contact_id: Uuid,
        input: SupplierContactInput,
    ) -> AppResult<SupplierContact> {
        let supplier = self.get_supplier(caller, supplier_id).await?;
        ensure(caller, Action::ManageSuppliers, &Resource::Global)?;
        let contacts = self.store.list_supplier_contacts(supplier_id).await?;
        let current = contacts
            .iter()
            .find(|c| c.id == contact_id)
            .ok_or(AppError::NotFound("contact"))?;
        let mut errors = FieldErrors::new();
        let (name, role, email, phone) = contact_fields(&mut errors, &input);
        errors.into_result()?;
        let next = SupplierContact {
            name,
            role,
            email,
            phone,
            position: input.position.unwrap_or(current.position).max(0),
            ..current.clone()
        };
        let a = audit(
            caller,
            "update_contact",
            "supplier",
            supplier_id,
            &supplier.name,
            changes(current, &next),
        );
        let saved = self.store.update_supplier_contact(&next, &a).await?;
        self.changed(caller, "supplier.updated", Uuid::nil(), supplier_id, None)
            .await;
        Ok(saved)
    }

    pub async fn remove_supplier_contact(
        &self,
        caller: &Caller,
        supplier_id: Uuid,
        contact_id: Uuid,
    ) -> AppResult<()> {
        let supplier = self.get_supplier(caller, supplier_id).await?;
        ensure(caller, Action::ManageSuppliers, &Resource::Global)?;
        let a = audit(
            caller,
            "remove_contact",
            "supplier",
            supplier_id,
            &supplier.name,
            Vec::new(),
        );
        if self
            .store
            .delete_supplier_contact(supplier_id, contact_id, &a)
            .await?
        {
            self.changed(caller, "supplier.updated", Uuid::nil(), supplier_id, None)
                .await;
            Ok(())
        } else {
            Err(AppError::NotFound("contact"))
        }
    }
}

/// The caller's access to projects, asked once per project.
#[derive(Default)]
struct Access {
    projects: HashMap<Uuid, Option<ProjectAccess>>,
    prices: HashMap<Uuid, bool>,
}

impl Access {
    async fn access(
        &mut self,
        services: &Services,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<Option<ProjectAccess>> {
        if let Some(a) = self.projects.get(&project_id) {
            return Ok(*a);
        }
        let a = services
            .store
            .project_access(project_id, caller.actor.user_id)
            .await?
            .map(|row| ProjectAccess {
                client_id: row.client_id,
                membership: row.membership,
            });
        self.projects.insert(project_id, a);
        Ok(a)
    }

    async fn may(
        &mut self,
        services: &Services,
        caller: &Caller,
        project_id: Uuid,
        action: Action,
    ) -> AppResult<bool> {
        Ok(match self.access(services, caller, project_id).await? {
            Some(a) => {
                authorize(&caller.actor, Action::ViewProject, &Resource::Project(a))
                    && authorize(&caller.actor, action, &Resource::Project(a))
            }
            None => false,
        })
    }

    async fn prices(
        &mut self,
        services: &Services,
        caller: &Caller,
        project_id: Uuid,
    ) -> AppResult<bool> {
        if let Some(p) = self.prices.get(&project_id) {
            return Ok(*p);
        }
        let p = match self.access(services, caller, project_id).await? {
            Some(a) => services.may_see_purchase_prices(caller, &a).await?,
            None => false,
        };
        self.prices.insert(project_id, p);
        Ok(p)
    }
}

fn add(value: &mut Vec<Money>, currency: &str, amount: i64) {
    match value.iter_mut().find(|m| m.currency == currency) {
        Some(m) => m.amount_minor = m.amount_minor.saturating_add(amount),
        None => value.push(Money {
            amount_minor: amount,
            currency: currency.to_owned(),
        }),
    }
}

fn spec_of(r: SupplierSpecRow) -> SupplierSpec {
    SupplierSpec {
        project_id: r.project_id,
        project_code: r.project_code,
        project_name: r.project_name,
        spec_id: r.spec_id,
        code: r.code,
        description: r.description,
        status: r.status,
    }
}

fn order_of(r: SupplierOrderRow, prices: bool) -> SupplierOrder {
    SupplierOrder {
        id: r.id,
        project_id: r.project_id,
        project_code: r.project_code,
        number: r.number,
        status: r.status,
        total: prices.then(|| Money {
            amount_minor: r.total_minor,
            currency: r.currency.clone(),
        }),
        required_on: r.required_on,
    }
}
