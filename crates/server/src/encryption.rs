//! Optional encryption of backup archives to age X25519 public keys
//! (`BACKUP_ENCRYPTION_RECIPIENTS`), and their decryption with an age identity file
//! (`BACKUP_ENCRYPTION_IDENTITY_FILE`).
//!
//! The archive is encrypted as a stream (age's format, <https://age-encryption.org/v1>),
//! so any age tool can decrypt it: `age -d -i key.txt formula-pm-….tar.gz.age | tar tz`.
//! Only the public keys live on the server; the identity (the secret key) is needed only to
//! verify or restore, and can stay offline until then.

use std::fs;
use std::io::{self, BufRead, Write};
use std::path::Path;

use age::secrecy::ExposeSecret;
use age::x25519::{Identity, Recipient};

use crate::Refused;

/// Every age file starts with this line; a gzip archive never does (it starts 1f 8b).
pub const AGE_MAGIC: &[u8] = b"age-encryption.org/v1\n";

/// The extension added to an encrypted archive's name (`formula-pm-….tar.gz.age`).
pub const EXTENSION: &str = ".age";

/// Parses `BACKUP_ENCRYPTION_RECIPIENTS`: comma-separated `age1…` public keys (spaces
/// around them ignored, at least one, no duplicates). The error says which key is wrong
/// without repeating a secret key pasted by mistake.
pub fn parse_recipients(raw: &str) -> Result<Vec<Recipient>, String> {
    let mut recipients: Vec<Recipient> = Vec::new();
    for (i, key) in raw.split(',').map(str::trim).enumerate() {
        let n = i + 1;
        if key.is_empty() {
            return Err(format!(
                "key {n} is empty: give comma-separated age public keys (age1…)"
            ));
        }
        if key.to_ascii_uppercase().starts_with("AGE-SECRET-KEY-") {
            return Err(format!(
                "key {n} is a secret key (AGE-SECRET-KEY-…); give its public key (age1…, printed by `age-keygen -y`) and keep the secret key off the server"
            ));
        }
        let recipient: Recipient = key.parse().map_err(|_| {
            format!("key {n} is not an age X25519 public key (age1… as printed by age-keygen)")
        })?;
        if recipients.contains(&recipient) {
            return Err(format!("key {n} is listed twice"));
        }
        recipients.push(recipient);
    }
    Ok(recipients)
}

/// Reads the age identities (`AGE-SECRET-KEY-1…` lines; blank lines and `#` comments
/// ignored, as `age-keygen` writes them) from the file `variable` names.
pub fn read_identities(variable: &str, path: &Path) -> anyhow::Result<Vec<Identity>> {
    let text = fs::read_to_string(path).map_err(|e| {
        Refused(format!(
            "{variable}: cannot read the identity file {} ({e})",
            path.display()
        ))
    })?;
    let mut identities = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let identity: Identity = line.parse().map_err(|_| {
            Refused(format!(
                "{variable}: line {} of {} is not an age X25519 identity (AGE-SECRET-KEY-1…)",
                i + 1,
                path.display()
            ))
        })?;
        identities.push(identity);
    }
    if identities.is_empty() {
        return Err(Refused(format!(
            "{variable}: {} holds no age identity (AGE-SECRET-KEY-1…)",
            path.display()
        ))
        .into());
    }
    Ok(identities)
}

/// Whether `input` starts with the age header. Peeks without consuming.
pub fn is_encrypted(input: &mut impl BufRead) -> io::Result<bool> {
    // `fill_buf` may return fewer bytes than the magic from a fresh reader only at the end
    // of the input (a BufReader's first fill reads up to its 8 KiB capacity).
    let head = input.fill_buf()?;
    Ok(head.starts_with(AGE_MAGIC))
}

/// Decrypts an age stream with `identities`, as a stream. The error is a message for the
/// operator (wrong key, damaged header); the payload's own authentication failures surface
/// later, as read errors, when a chunk does not verify.
pub fn decrypt<R: BufRead>(
    input: R,
    identities: &[Identity],
) -> Result<age::stream::StreamReader<R>, String> {
    let damaged = |e: io::Error| format!("the archive is truncated or corrupted ({e})");
    let decryptor = match age::Decryptor::new_buffered(input) {
        Ok(d) => d,
        Err(age::DecryptError::Io(e)) => return Err(damaged(e)),
        Err(e) => return Err(format!("the age header is damaged ({e})")),
    };
    if decryptor.is_scrypt() {
        return Err(
            "it is encrypted with a passphrase, not to an age public key; decrypt it with `age -d` first"
                .to_owned(),
        );
    }
    decryptor
        .decrypt(identities.iter().map(|i| i as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => {
                "the identity in BACKUP_ENCRYPTION_IDENTITY_FILE does not match any key it was encrypted to"
                    .to_owned()
            }
            age::DecryptError::Io(e) => damaged(e),
            e @ (age::DecryptError::InvalidMac | age::DecryptError::InvalidHeader) => {
                format!("the age header is damaged ({e})")
            }
            e => format!("cannot decrypt it ({e})"),
        })
}

/// Encrypts what is written to it to the given recipients, or passes it through unchanged.
/// [`Sealing::finish`] must be called: it writes age's final authenticated chunk.
pub enum Sealing<W: Write> {
    /// No encryption configured.
    Plain(W),
    /// Encrypting to `BACKUP_ENCRYPTION_RECIPIENTS`.
    Age(age::stream::StreamWriter<W>),
}

impl<W: Write> Sealing<W> {
    /// Starts encrypting `output` to `recipients`, or not at all when there are none.
    pub fn new(output: W, recipients: &[Recipient]) -> io::Result<Sealing<W>> {
        if recipients.is_empty() {
            return Ok(Sealing::Plain(output));
        }
        let encryptor =
            age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
                .map_err(io::Error::other)?;
        Ok(Sealing::Age(encryptor.wrap_output(output)?))
    }

    /// Ends the stream and returns the output.
    pub fn finish(self) -> io::Result<W> {
        match self {
            Sealing::Plain(w) => Ok(w),
            Sealing::Age(w) => w.finish(),
        }
    }
}

impl<W: Write> Write for Sealing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sealing::Plain(w) => w.write(buf),
            Sealing::Age(w) => w.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sealing::Plain(w) => w.flush(),
            Sealing::Age(w) => w.flush(),
        }
    }
}

/// A fresh identity as `age-keygen` writes it: the comment lines and the secret key, and
/// the public key to put in `BACKUP_ENCRYPTION_RECIPIENTS`.
pub fn generate() -> (String, String) {
    let identity = Identity::generate();
    let public = identity.to_public().to_string();
    let created = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let file = format!(
        "# created: {created}\n# public key: {public}\n{}\n",
        identity.to_string().expose_secret()
    );
    (file, public)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Read;

    fn refusal(variable: &str, path: &Path) -> String {
        match read_identities(variable, path) {
            Ok(_) => panic!("{} was accepted", path.display()),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn encrypts_to_every_recipient_and_decrypts_with_either_identity() {
        let a = Identity::generate();
        let b = Identity::generate();
        let other = Identity::generate();
        let keys = format!("{}, {}", a.to_public(), b.to_public());
        let recipients = parse_recipients(&keys).unwrap();
        let mut sealed = Sealing::new(Vec::new(), &recipients).unwrap();
        sealed.write_all(b"hello archive").unwrap();
        let bytes = sealed.finish().unwrap();
        assert!(is_encrypted(&mut &bytes[..]).unwrap());
        for id in [a, b] {
            let mut plain = Vec::new();
            decrypt(&bytes[..], &[id])
                .unwrap()
                .read_to_end(&mut plain)
                .unwrap();
            assert_eq!(plain, b"hello archive");
        }
        let Err(refusal) = decrypt(&bytes[..], &[other]) else {
            panic!("a foreign identity decrypted the archive");
        };
        assert!(refusal.contains("does not match"), "{refusal}");

        let mut plain = Sealing::new(Vec::new(), &[]).unwrap();
        plain.write_all(b"\x1f\x8bgzip").unwrap();
        let bytes = plain.finish().unwrap();
        assert_eq!(bytes, b"\x1f\x8bgzip");
        assert!(!is_encrypted(&mut &bytes[..]).unwrap());
    }

    #[test]
    fn identity_files_as_age_keygen_writes_them_are_read() {
        let dir = std::env::temp_dir().join(format!("formula-age-{}", uuid::Uuid::now_v7()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("key.txt");
        let (file, public) = generate();
        fs::write(&path, &file).unwrap();
        let ids = read_identities("V", &path).unwrap();
        assert_eq!(ids.len(), 1);
        assert_eq!(ids[0].to_public().to_string(), public);
        fs::write(&path, "# only a comment\n").unwrap();
        let err = refusal("V", &path);
        assert!(
            err.contains("V:") && err.contains("no age identity"),
            "{err}"
        );
        fs::write(&path, format!("{public}\n")).unwrap();
        let err = refusal("V", &path);
        assert!(err.contains("line 1"), "{err}");
        let err = refusal("V", &dir.join("missing"));
        assert!(err.contains("cannot read"), "{err}");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn recipients_are_checked() {
        let a = Identity::generate();
        let pk = a.to_public().to_string();
        assert_eq!(parse_recipients(&pk).unwrap().len(), 1);
        for (bad, says) in [
            ("", "empty"),
            (&format!("{pk},"), "key 2 is empty"),
            ("age1nope", "not an age X25519 public key"),
            (&format!("{pk},{pk}"), "listed twice"),
            (a.to_string().expose_secret(), "is a secret key"),
        ] {
            let err = parse_recipients(bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
            assert!(
                !err.contains("AGE-SECRET-KEY-1"),
                "never echo a secret: {err}"
            );
        }
    }
}
