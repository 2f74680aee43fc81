//! Client organisations and their contacts.

use formula_domain::authz::{Action, Resource, client_scope};
use formula_domain::client::{Client, ClientStatus, Contact};
use formula_domain::errors::{FieldErrors, optional_text, required_text};
use serde::Deserialize;
use uuid::Uuid;

use crate::context::Caller;
use crate::error::{AppError, AppResult};
use crate::query::{ClientQuery, Page};
use crate::services::{Services, audit, changes, check_version, created, double_option, ensure};

/// A client to create.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    pub name: String,
    #[serde(default)]
    pub client_type: Option<String>,
    #[serde(default)]
    pub status: Option<ClientStatus>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub website: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
}

/// Changes to a client; absent fields stay as they are, `null` clears.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientPatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    pub client_type: Option<Option<String>>,
    pub status: Option<ClientStatus>,
    #[serde(default, deserialize_with = "double_option")]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub notes: Option<Option<String>>,
    pub version: Option<i64>,
}

/// A contact person to add.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContact {
    pub name: String,
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

fn check_website(errors: &mut FieldErrors, website: Option<String>) -> Option<String> {
    let w = website?;
    match formula_domain::client::web_address(w.clone()) {
        Ok(w) => Some(w),
        Err(m) => {
            errors.add("website", m);
            Some(w)
        }
    }
}

impl Services {
    pub async fn create_client(&self, caller: &Caller, input: NewClient) -> AppResult<Client> {
        ensure(caller, Action::CreateClient, &Resource::Global)?;
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", &input.name, 200);
        let client_type = optional_text(
            &mut errors,
            "client_type",
            input.client_type.as_deref(),
            100,
        );
        let address = optional_text(&mut errors, "address", input.address.as_deref(), 500);
        let website = optional_text(&mut errors, "website", input.website.as_deref(), 300);
        let website = check_website(&mut errors, website);
        let notes = optional_text(&mut errors, "notes", input.notes.as_deref(), 5000);
        errors.into_result()?;
        let now = self.now();
        let client = Client {
            id: formula_domain::new_id(),
            name,
            client_type,
            status: input.status.unwrap_or(ClientStatus::Active),
            address,
            website,
            notes,
            project_count: 0,
            created_at: now,
            updated_at: now,
            version: 1,
        };
        let a = audit(
            caller,
            "create",
            "client",
            client.id,
            &client.name,
            created(&client),
        );
        self.store.insert_client(&client, &a).await?;
        Ok(client)
    }

    pub async fn get_client(&self, caller: &Caller, id: Uuid) -> AppResult<Client> {
        ensure(caller, Action::ViewClient, &Resource::Client { id })?;
        self.store
            .get_client(id)
            .await?
            .ok_or(AppError::NotFound("client"))
    }

    /// A client to edit: refused unless the caller may change it.
    pub async fn client_for_edit(&self, caller: &Caller, id: Uuid) -> AppResult<Client> {
        let client = self.get_client(caller, id).await?;
        ensure(caller, Action::UpdateClient, &Resource::Client { id })?;
        Ok(client)
    }

    pub async fn list_clients(
        &self,
        caller: &Caller,
        query: &ClientQuery,
    ) -> AppResult<Page<Client>> {
        ensure(caller, Action::ListClients, &Resource::Global)?;
        self.store
            .list_clients(query, client_scope(&caller.actor))
            .await
    }

    pub async fn update_client(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
        patch: ClientPatch,
    ) -> AppResult<Client> {
        ensure(caller, Action::UpdateClient, &Resource::Client { id })?;
        let current = self
            .store
            .get_client(id)
            .await?
            .ok_or(AppError::NotFound("client"))?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let mut errors = FieldErrors::new();
        let mut next = current.clone();
        if let Some(v) = patch.name {
            next.name = required_text(&mut errors, "name", &v, 200);
        }
        if let Some(v) = patch.client_type {
            next.client_type = optional_text(&mut errors, "client_type", v.as_deref(), 100);
        }
        if let Some(v) = patch.status {
            next.status = v;
        }
        if let Some(v) = patch.address {
            next.address = optional_text(&mut errors, "address", v.as_deref(), 500);
        }
        if let Some(v) = patch.website {
            let w = optional_text(&mut errors, "website", v.as_deref(), 300);
            next.website = check_website(&mut errors, w);
        }
        if let Some(v) = patch.notes {
            next.notes = optional_text(&mut errors, "notes", v.as_deref(), 5000);
        }
        errors.into_result()?;
        next.updated_at = self.now();
        let a = audit(
            caller,
            "update",
            "client",
            id,
            &next.name,
            changes(&current, &next),
        );
        self.store.update_client(&next, expected_version, &a).await
    }

    pub async fn delete_client(
        &self,
        caller: &Caller,
        id: Uuid,
        expected_version: i64,
    ) -> AppResult<()> {
        ensure(caller, Action::DeleteClient, &Resource::Client { id })?;
        let current = self
            .store
            .get_client(id)
            .await?
            .ok_or(AppError::NotFound("client"))?;
        check_version(expected_version, current.version, None, current.updated_at)?;
        let a = audit(caller, "delete", "client", id, &current.name, Vec::new());
        self.store.delete_client(id, expected_version, &a).await
    }

    pub async fn list_contacts(&self, caller: &Caller, client_id: Uuid) -> AppResult<Vec<Contact>> {
        self.get_client(caller, client_id).await?;
        self.store.list_contacts(client_id).await
    }

    pub async fn add_contact(
        &self,
        caller: &Caller,
        client_id: Uuid,
        input: NewContact,
    ) -> AppResult<Contact> {
        ensure(
            caller,
            Action::UpdateClient,
            &Resource::Client { id: client_id },
        )?;
        let client = self
            .store
            .get_client(client_id)
            .await?
            .ok_or(AppError::NotFound("client"))?;
        let mut errors = FieldErrors::new();
        let name = required_text(&mut errors, "name", &input.name, 120);
        let role = optional_text(&mut errors, "role", input.role.as_deref(), 120);
        let email = match optional_text(&mut errors, "email", input.email.as_deref(), 254) {
            Some(e) => match formula_domain::user::normalize_email(&e) {
                Ok(e) => Some(e),
                Err(m) => {
                    errors.add("email", m);
                    None
                }
            },
            None => None,
        };
        let phone = optional_text(&mut errors, "phone", input.phone.as_deref(), 40);
        errors.into_result()?;
        let contact = Contact {
            id: formula_domain::new_id(),
            client_id,
            name,
            role,
            email,
            phone,
        };
        let a = audit(
            caller,
            "add_contact",
            "client",
            client_id,
            &client.name,
            created(&contact),
        );
        self.store.insert_contact(&contact, &a).await?;
        Ok(contact)
    }

    pub async fn remove_contact(
        &self,
        caller: &Caller,
        client_id: Uuid,
        contact_id: Uuid,
    ) -> AppResult<()> {
        ensure(
            caller,
            Action::UpdateClient,
            &Resource::Client { id: client_id },
        )?;
        let client = self
            .store
            .get_client(client_id)
            .await?
            .ok_or(AppError::NotFound("client"))?;
        let a = audit(
            caller,
            "remove_contact",
            "client",
            client_id,
            &client.name,
            Vec::new(),
        );
        if self.store.delete_contact(client_id, contact_id, &a).await? {
            Ok(())
        } else {
            Err(AppError::NotFound("contact"))
        }
    }
}
