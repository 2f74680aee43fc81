//! The company's own details: the letterhead printed on every document it sends.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::errors::{FieldErrors, optional_text, required_text};

/// The largest logo accepted, in bytes: a letterhead logo is small, and it is embedded in
/// every document.
pub const MAX_LOGO_BYTES: u64 = 1024 * 1024;

/// The company settings. `version` 0 means never saved (every text empty, no logo).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CompanySettings {
    /// The company's name as printed on documents; empty until first saved.
    pub name: String,
    /// The postal address, one line per line.
    pub address: Option<String>,
    pub tax_number: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// The default terms printed at the end of documents (prices, validity, payment).
    pub document_terms: Option<String>,
    /// Whether a logo has been uploaded (`GET /company/logo` returns it).
    pub has_logo: bool,
    /// The logo's content type, `image/png` or `image/jpeg`.
    #[serde(skip)]
    pub logo_mime: Option<String>,
    /// Where the logo is kept in file storage.
    #[serde(skip)]
    pub logo_key: Option<String>,
    /// Who saved them last.
    pub updated_by_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub updated_at: Option<OffsetDateTime>,
    pub version: i64,
}

/// The settings to save (all of them: a field left out is cleared).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyInput {
    /// The company's name, 1 to 200 characters.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    /// Up to 500 characters; line breaks separate the lines.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50)]
    pub tax_number: Option<String>,
    #[serde(default)]
    #[schema(max_length = 50)]
    pub phone: Option<String>,
    /// An e-mail address.
    #[serde(default)]
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// A web address such as `example.com` (read as a secure address when no scheme is given).
    #[serde(default)]
    #[schema(max_length = 300)]
    pub website: Option<String>,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub document_terms: Option<String>,
    /// The version being replaced (or send `If-Match`); 0 the first time.
    #[serde(default)]
    pub version: Option<i64>,
}

impl CompanyInput {
    /// Checks and tidies every field into `next` (the stored settings, changed), or says
    /// per field what to fix.
    pub fn apply(self, next: &mut CompanySettings) -> Result<(), FieldErrors> {
        let mut errors = FieldErrors::new();
        next.name = required_text(&mut errors, "name", &self.name, 200);
        next.address = optional_text(&mut errors, "address", self.address.as_deref(), 500);
        next.tax_number = optional_text(&mut errors, "tax_number", self.tax_number.as_deref(), 50);
        next.phone = optional_text(&mut errors, "phone", self.phone.as_deref(), 50);
        next.email =
            optional_text(&mut errors, "email", self.email.as_deref(), 254).and_then(|e| {
                match crate::user::normalize_email(&e) {
                    Ok(e) => Some(e),
                    Err(m) => {
                        errors.add("email", m);
                        None
                    }
                }
            });
        next.website =
            optional_text(&mut errors, "website", self.website.as_deref(), 300).map(|w| {
                match crate::client::web_address(w.clone()) {
                    Ok(w) => w,
                    Err(m) => {
                        errors.add("website", m);
                        w
                    }
                }
            });
        next.document_terms = optional_text(
            &mut errors,
            "document_terms",
            self.document_terms.as_deref(),
            5000,
        );
        errors.into_result()
    }
}

impl CompanySettings {
    /// The address as lines, blank ones left out.
    pub fn address_lines(&self) -> Vec<String> {
        self.address
            .as_deref()
            .unwrap_or_default()
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Phone, e-mail and website (without its scheme), as present.
    pub fn contact_lines(&self) -> Vec<String> {
        [
            self.phone.clone(),
            self.email.clone(),
            self.website.as_deref().map(|w| {
                w.trim_start_matches("https://")
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_owned()
            }),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// The logo's content type from its first bytes: PNG or JPEG only.
pub fn logo_mime(head: &[u8]) -> Result<&'static str, String> {
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok("image/png")
    } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok("image/jpeg")
    } else {
        Err("the logo must be a PNG or JPEG picture".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_is_tidied_and_checked() {
        let mut s = CompanySettings::default();
        CompanyInput {
            name: "  Northwind Interiors ".into(),
            address: Some("12 Harbour Road\n\n Bristol ".into()),
            email: Some("Office@Northwind.test".into()),
            website: Some("northwind.test".into()),
            tax_number: Some(" ".into()),
            ..Default::default()
        }
        .apply(&mut s)
        .unwrap();
        assert_eq!(s.name, "Northwind Interiors");
        assert_eq!(s.address_lines(), ["12 Harbour Road", "Bristol"]);
        assert_eq!(s.tax_number, None);
        assert_eq!(s.website.as_deref(), Some("https://northwind.test"));
        assert_eq!(
            s.contact_lines(),
            ["office@northwind.test", "northwind.test"]
        );

        let e = CompanyInput {
            name: " ".into(),
            email: Some("not an address".into()),
            website: Some("no web".into()),
            document_terms: Some("x".repeat(5001)),
            ..Default::default()
        }
        .apply(&mut s)
        .unwrap_err();
        for field in ["name", "email", "website", "document_terms"] {
            assert!(e.get(field).is_some(), "{field}");
        }
    }

    #[test]
    fn only_png_and_jpeg_logos() {
        assert_eq!(logo_mime(b"\x89PNG\r\n\x1a\n...").unwrap(), "image/png");
        assert_eq!(logo_mime(&[0xFF, 0xD8, 0xFF, 0xE0]).unwrap(), "image/jpeg");
        assert!(logo_mime(b"GIF89a").is_err());
        assert!(logo_mime(b"<svg").is_err());
    }
}
