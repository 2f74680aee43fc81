//! The one error type of every use case. The web layer maps it to
//! problem+json or to an HTML message; client mistakes are never 500s.

use formula_domain::errors::FieldErrors;
use time::OffsetDateTime;

/// Result of a use case.
pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("you do not have permission to do this")]
    Forbidden,
    #[error("sign in first")]
    Unauthenticated,
    #[error("the submitted data is not valid")]
    Validation(FieldErrors),
    /// A uniqueness or reference rule was broken (e.g. an email already in use).
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        fields: FieldErrors,
    },
    /// A compare-and-set update lost: someone saved a newer version first.
    #[error("this record was changed by someone else")]
    Stale {
        current_version: i64,
        updated_by: Option<String>,
        updated_at: Option<OffsetDateTime>,
    },
    /// A status change the state machine does not allow.
    #[error("cannot change status from {from} to {to}")]
    InvalidTransition {
        from: String,
        to: String,
        allowed: Vec<String>,
    },
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A write was refused because the disk holding the database or the files is full.
    /// Nothing was saved; the same request succeeds once space is freed.
    #[error("no disk space left: {0}")]
    InsufficientStorage(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A validation error on a single field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut e = FieldErrors::new();
        e.add(field, message);
        AppError::Validation(e)
    }

    /// A conflict on a single field (e.g. a duplicate name).
    pub fn duplicate(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut fields = FieldErrors::new();
        fields.add(field, message.clone());
        AppError::Conflict {
            code: "duplicate",
            message,
            fields,
        }
    }

    /// Stable machine-readable code, used in problem+json.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Validation(_) => "validation_failed",
            AppError::Conflict { code, .. } => code,
            AppError::Stale { .. } => "stale_version",
            AppError::InvalidTransition { .. } => "invalid_transition",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable(_) => "unavailable",
            AppError::InsufficientStorage(_) => "insufficient_storage",
            AppError::Internal(_) => "internal",
        }
    }
}

/// Whether an I/O error means the disk (or the user's quota on it) is full.
pub fn is_storage_full(e: &std::io::Error) -> bool {
    // ENOSPC and EDQUOT, also where the kind is not mapped.
    e.kind() == std::io::ErrorKind::StorageFull
        || e.kind() == std::io::ErrorKind::QuotaExceeded
        || matches!(e.raw_os_error(), Some(28 | 122))
}

impl From<FieldErrors> for AppError {
    fn from(e: FieldErrors) -> Self {
        AppError::Validation(e)
    }
}
