//! What recording a receipt of goods on site is the same for, whether it receives a delivery
//! note's lines or a purchase order's: the day the goods arrived, and the photos taken of
//! them (checked, part of the request's fingerprint, kept beside the receipt once it is
//! recorded, and read back with the receipts). The lines received are each side's own (a
//! note's against what was dispatched, an order's against what is left, with over-delivery),
//! and so are its record, its audit and its announcements.

use formula_domain::attachment::{Attachment, OwnerKind, Purpose};
use formula_domain::errors::FieldErrors;
use time::Date;
use uuid::Uuid;

use crate::attachments::{Checked, Owner};
use crate::context::Caller;
use crate::drawings::Upload;
use crate::error::AppResult;
use crate::idempotency::Fingerprint;
use crate::services::Services;

/// Most photos one receipt takes.
pub const PHOTOS_MAX: usize = 5;

/// The day goods arrived: the one given, or today; refused on `received_on` when in the
/// future or before 2000.
pub(crate) fn received_on(errors: &mut FieldErrors, given: Option<Date>, today: Date) -> Date {
    let day = given.unwrap_or(today);
    if day > today {
        errors.add("received_on", "cannot be in the future");
    } else if day.year() < 2000 {
        errors.add("received_on", "must be the day it arrived, from 2000 on");
    }
    day
}

/// A receipt's photos, checked: at most [`PHOTOS_MAX`], each a JPEG or PNG image. Every
/// problem goes to `errors` under `photo`.
pub(crate) fn check_photos(errors: &mut FieldErrors, photos: &[Upload]) -> Vec<Checked> {
    if photos.len() > PHOTOS_MAX {
        errors.add("photo", format!("at most {PHOTOS_MAX} photos"));
    }
    photos
        .iter()
        .map(|upload| Checked::photo(errors, upload))
        .collect()
}

/// Adds a receipt's photos (each by its name and content) to the request's fingerprint: a
/// retry with the same key and other photos is another request.
pub(crate) fn with_photos(mut request: Fingerprint, photos: &[Upload]) -> Fingerprint {
    for p in photos {
        request = request.part(format!("{}:{}", p.name, p.sha256));
    }
    request
}

impl Services {
    /// Keeps the photos of a receipt just recorded (`receipt`: its kind and id) as its
    /// attachments. The receipt stands even if a photo cannot be kept: the goods are on site
    /// either way, and the photo can be added again.
    pub(crate) async fn keep_receipt_photos(
        &self,
        caller: &Caller,
        owner: &Owner,
        receipt: (OwnerKind, Uuid),
        photos: &[Upload],
        checked: &[Checked],
    ) {
        for (upload, file) in photos.iter().zip(checked) {
            let file = Checked {
                name: file.name.clone(),
                mime: file.mime,
            };
            if let Err(e) = self
                .store_attachment(
                    caller,
                    owner,
                    receipt,
                    Some(Purpose::Photo),
                    None,
                    upload,
                    file,
                )
                .await
            {
                let what = receipt.0.label().to_lowercase();
                tracing::warn!(error = %e, "could not keep a {what} photo");
            }
        }
    }

    /// Fills in receipts' photos (attachments of `kind`); `slot` gives a receipt's id and
    /// where its photos go.
    pub(crate) async fn fill_receipt_photos<R>(
        &self,
        kind: OwnerKind,
        receipts: &mut [R],
        slot: impl Fn(&mut R) -> (Uuid, &mut Vec<Attachment>),
    ) -> AppResult<()> {
        if receipts.is_empty() {
            return Ok(());
        }
        let ids: Vec<Uuid> = receipts.iter_mut().map(|r| slot(r).0).collect();
        let photos = self.store.list_attachments_of(kind, &ids).await?;
        for r in receipts {
            let (id, own) = slot(r);
            *own = photos
                .iter()
                .filter(|p| p.owner_id == id)
                .cloned()
                .collect();
        }
        Ok(())
    }
}
