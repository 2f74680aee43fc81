//! The company's settings (the letterhead on documents) and its logo.

use formula_domain::authz::{Action, Resource};
use formula_domain::company::{CompanyInput, CompanySettings, MAX_LOGO_BYTES, logo_mime};
use formula_domain::errors::FieldErrors;
use tokio::io::AsyncReadExt;
use uuid::Uuid;

use crate::context::Caller;
use crate::drawings::Upload;
use crate::error::{AppError, AppResult};
use crate::services::{Services, audit, changes, check_version, ensure};

/// The audit trail's id for the company settings (there is one set).
const COMPANY_ID: Uuid = Uuid::nil();

impl Services {
    /// The settings, for any internal user (documents print them).
    pub async fn company_settings(&self, caller: &Caller) -> AppResult<CompanySettings> {
        ensure(caller, Action::ViewCompany, &Resource::Global)?;
        self.store.company_settings().await
    }

    /// Whether the caller may change the settings: asked before an upload is read, so a
    /// caller who may not gets 403 whatever they sent.
    pub fn may_manage_company(&self, caller: &Caller) -> AppResult<()> {
        ensure(caller, Action::ManageCompany, &Resource::Global)
    }

    /// Replaces every field (the logo stays), compare-and-set on `expected_version`.
    pub async fn save_company_settings(
        &self,
        caller: &Caller,
        expected_version: i64,
        input: CompanyInput,
    ) -> AppResult<CompanySettings> {
        ensure(caller, Action::ManageCompany, &Resource::Global)?;
        let current = self.store.company_settings().await?;
        self.check_company_version(expected_version, &current)?;
        let mut next = current.clone();
        input.apply(&mut next).map_err(AppError::Validation)?;
        next.updated_at = Some(self.now());
        self.store_company(caller, &current, next, "update").await
    }

    /// Sets the logo from an upload checked by the caller's `check` (which reads the whole
    /// picture; the web layer passes the PDF module's check), replacing any earlier one.
    pub async fn set_company_logo(
        &self,
        caller: &Caller,
        expected_version: i64,
        upload: &Upload,
        check: impl FnOnce(&[u8]) -> Result<(), String> + Send + 'static,
    ) -> AppResult<CompanySettings> {
        ensure(caller, Action::ManageCompany, &Resource::Global)?;
        let current = self.store.company_settings().await?;
        self.check_company_version(expected_version, &current)?;
        // The row may exist without a name: the purchasing settings can be saved first.
        if current.name.trim().is_empty() {
            return Err(AppError::field(
                "file",
                "save the company's name first, then add its logo",
            ));
        }
        let mut errors = FieldErrors::new();
        if upload.size > MAX_LOGO_BYTES {
            errors.add(
                "file",
                format!("the logo must be at most {} KiB", MAX_LOGO_BYTES / 1024),
            );
        }
        let mime = logo_mime(&upload.head).unwrap_or_else(|m| {
            errors.add("file", m);
            ""
        });
        errors.into_result().map_err(AppError::Validation)?;
        let bytes = tokio::fs::read(&upload.path)
            .await
            .map_err(|e| AppError::Internal(format!("reading the uploaded logo: {e}")))?;
        // Decoding a picture is CPU work: off the async workers.
        tokio::task::spawn_blocking(move || check(&bytes))
            .await
            .map_err(|e| AppError::Internal(format!("checking the logo failed: {e}")))?
            .map_err(|m| AppError::field("file", m))?;
        let key = format!("company/logo-{}", formula_domain::new_id());
        self.blobs.put_file(&key, &upload.path).await?;
        let mut next = current.clone();
        next.logo_key = Some(key.clone());
        next.logo_mime = Some(mime.to_owned());
        next.has_logo = true;
        next.updated_at = Some(self.now());
        match self.store_company(caller, &current, next, "logo").await {
            Ok(saved) => {
                self.forget_logo(current.logo_key.as_deref()).await;
                Ok(saved)
            }
            Err(e) => {
                self.forget_logo(Some(&key)).await;
                Err(e)
            }
        }
    }

    /// Removes the logo (documents then print the company's name in its place).
    pub async fn remove_company_logo(
        &self,
        caller: &Caller,
        expected_version: i64,
    ) -> AppResult<CompanySettings> {
        ensure(caller, Action::ManageCompany, &Resource::Global)?;
        let current = self.store.company_settings().await?;
        self.check_company_version(expected_version, &current)?;
        if current.logo_key.is_none() {
            return Ok(current);
        }
        let mut next = current.clone();
        next.logo_key = None;
        next.logo_mime = None;
        next.has_logo = false;
        next.updated_at = Some(self.now());
        let saved = self.store_company(caller, &current, next, "logo").await?;
        self.forget_logo(current.logo_key.as_deref()).await;
        Ok(saved)
    }

    /// The logo's bytes and content type, if there is one, for any internal user.
    pub async fn company_logo(&self, caller: &Caller) -> AppResult<Option<(Vec<u8>, String)>> {
        let settings = self.company_settings(caller).await?;
        self.logo_bytes(&settings).await
    }

    /// The logo of settings already read (for a document being printed).
    pub async fn logo_bytes(
        &self,
        settings: &CompanySettings,
    ) -> AppResult<Option<(Vec<u8>, String)>> {
        let (Some(key), Some(mime)) = (&settings.logo_key, &settings.logo_mime) else {
            return Ok(None);
        };
        let mut read = self.blobs.read(key, None).await?;
        let mut bytes = Vec::with_capacity(usize::try_from(read.size).unwrap_or(0));
        read.body
            .read_to_end(&mut bytes)
            .await
            .map_err(|e| AppError::Internal(format!("reading the company logo: {e}")))?;
        Ok(Some((bytes, mime.clone())))
    }

    fn check_company_version(&self, expected: i64, current: &CompanySettings) -> AppResult<()> {
        check_version(
            expected,
            current.version,
            current.updated_by_name.clone(),
            current.updated_at.unwrap_or_else(|| self.now()),
        )
    }

    async fn store_company(
        &self,
        caller: &Caller,
        current: &CompanySettings,
        next: CompanySettings,
        action: &str,
    ) -> AppResult<CompanySettings> {
        let mut before = serde_json::to_value(current).unwrap_or_default();
        let mut after = serde_json::to_value(&next).unwrap_or_default();
        // Only what a person changed goes in the trail, not the bookkeeping.
        for v in [&mut before, &mut after] {
            if let Some(o) = v.as_object_mut() {
                for k in ["updated_at", "updated_by_name", "version"] {
                    o.remove(k);
                }
            }
        }
        let a = audit(
            caller,
            action,
            "company",
            COMPANY_ID,
            &next.name,
            changes(&before, &after),
        );
        self.store
            .save_company_settings(&next, current.version, caller.actor.user_id, &a)
            .await
    }

    /// Removes a logo file no longer referred to; a failure leaves a stray file, not a
    /// broken letterhead, so it is only logged.
    async fn forget_logo(&self, key: Option<&str>) {
        if let Some(key) = key
            && let Err(e) = self.blobs.delete(key).await
        {
            tracing::warn!(key, error = %e, "could not remove an old company logo");
        }
    }
}
