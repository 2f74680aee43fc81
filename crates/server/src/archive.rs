//! The backup archive, one format for `backup`, `restore`, `export` and `import`: a
//! gzip-compressed tar holding
//!
//! ```text
//! manifest.json          format version, app version, backend, schema version, created_at,
//!                        row count per table, SHA-256 and size of every other entry
//! data/<table>.jsonl     the store's portable dump (formula_store::dump), one row per line
//! files/<path>           uploaded files from DATA_DIR/uploads, when there are any
//! ```
//!
//! Writing goes to a hidden temporary name in the target directory, is fsynced and then
//! renamed, so a failed run never leaves something that looks like an archive. Reading
//! unpacks every entry into a scratch directory while hashing it, so a truncated or
//! corrupted archive is found before anything is loaded.
//!
//! With `BACKUP_ENCRYPTION_RECIPIENTS` the gzip stream is encrypted with age on its way to
//! disk (see `crate::encryption`); the `.sha256` file covers the encrypted bytes, so it can
//! be checked without the key. Reading recognises the age header and decrypts as it reads.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use formula_store::Db;
use formula_store::dump::{DumpEvent, LoadOptions, TableCounts};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use crate::Refused;
use crate::encryption::{self, Sealing};

/// `format` in every manifest.
pub const FORMAT: &str = "formula-pm-archive";
/// The newest archive layout this binary writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's entry name.
pub const MANIFEST: &str = "manifest.json";
/// Directory of uploaded files inside `DATA_DIR`, and of their copies inside an archive.
pub const UPLOADS_DIR: &str = "uploads";
const FILES_PREFIX: &str = "files/";
const DATA_PREFIX: &str = "data/";

/// A backup archive's table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`FORMAT`].
    pub format: String,
    /// The layout version ([`FORMAT_VERSION`] when written by this binary).
    pub format_version: u32,
    /// The `formula-pm` version that wrote it.
    pub app_version: String,
    /// `sqlite` or `postgres`: where the data came from (it loads into either).
    pub backend: String,
    /// The newest migration applied to the source database.
    pub schema_version: i64,
    /// When the snapshot was taken (RFC 3339, UTC).
    pub created_at: String,
    /// Rows per table.
    pub tables: TableCounts,
    /// Every entry except the manifest, by name.
    pub entries: BTreeMap<String, EntrySum>,
}

/// The checksum and size of one archive entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntrySum {
    /// Lower-case hex SHA-256 of the entry's content.
    pub sha256: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// A directory removed (with its content) when dropped.
pub struct Scratch(PathBuf);

impl Scratch {
    /// Creates `parent/.formula-pm-<label>-<uuid>`.
    pub fn new(parent: &Path, label: &str) -> anyhow::Result<Scratch> {
        let dir = parent.join(format!(
            ".formula-pm-{label}-{}",
            uuid::Uuid::now_v7().simple()
        ));
        fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the work directory {}", dir.display()))?;
        Ok(Scratch(dir))
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Passes writes through while hashing them.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn new(inner: W) -> Self {
        Hashing {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (W, EntrySum) {
        let sum = EntrySum {
            sha256: hex::encode(self.hasher.finalize()),
            bytes: self.bytes,
        };
        (self.inner, sum)
    }
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The SHA-256 of a whole file.
pub fn sha256_file(path: &Path) -> io::Result<String> {
    let mut file = File::open(path)?;
    let mut hashing = Hashing::new(io::sink());
    io::copy(&mut file, &mut hashing)?;
    Ok(hashing.finish().1.sha256)
}

const STAMP: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second].[subsecond digits:3]Z");

/// `20261125T201530.123Z`: sortable, and safe in file names on every system.
pub fn file_stamp(at: OffsetDateTime) -> String {
    at.format(STAMP)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// Reads a [`file_stamp`] back.
pub fn parse_file_stamp(stamp: &str) -> Option<OffsetDateTime> {
    time::PrimitiveDateTime::parse(stamp, STAMP)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// What [`write`] made.
#[derive(Debug)]
pub struct Written {
    /// The archive's final path.
    pub path: PathBuf,
    /// Its SHA-256 (also in the `.sha256` file beside it).
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The manifest inside it.
    pub manifest: Manifest,
}

/// Dumps `db` (and the files under `data_dir/uploads`, if any) into a new archive at
/// `path`, with its `.sha256` file. Refuses to overwrite an existing file. Per-table
/// progress goes to stderr. `created_at` is recorded in the manifest (to the microsecond).
/// With `recipients`, the archive is age-encrypted to them (`path` should end in `.age`).
pub async fn write(
    db: &Db,
    data_dir: &Path,
    path: &Path,
    created_at: OffsetDateTime,
    recipients: &[age::x25519::Recipient],
) -> anyhow::Result<Written> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| anyhow!("{} is not a file name", path.display()))?;
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the directory {}", dir.display()))?;
    if path.exists() {
        return Err(Refused(format!(
            "{} already exists; not overwriting it",
            path.display()
        ))
        .into());
    }
    let created_at = created_at.to_offset(time::UtcOffset::UTC);
    let created_at = created_at
        .replace_microsecond(created_at.microsecond())
        .unwrap_or(created_at);
    let schema_version = db
        .schema_version()
        .await
        .context("cannot read the schema version")?
        .unwrap_or(0);

    // 1. The dump, table by table, into a staging directory beside the archive (so a large
    //    dump needs room where the archive goes, not in /tmp).
    let staging = Scratch::new(dir, "staging")?;
    fs::create_dir_all(staging.path().join("data"))?;
    let mut entries = BTreeMap::new();
    let mut sink = TableFiles::new(staging.path());
    let tables = db
        .dump(|event| sink.event(event))
        .await
        .context("cannot dump the database")?;
    entries.extend(sink.finish()?);

    // 2. Uploaded files, hashed now; their content goes into the archive from where it is.
    let uploads = data_dir.join(UPLOADS_DIR);
    let mut files = Vec::new();
    if uploads.is_dir() {
        collect_files(&uploads, &uploads, &mut files)?;
        for (rel, full) in &files {
            let bytes = fs::metadata(full)?.len();
            let sha256 =
                sha256_file(full).with_context(|| format!("cannot read {}", full.display()))?;
            entries.insert(format!("{FILES_PREFIX}{rel}"), EntrySum { sha256, bytes });
        }
        eprintln!("backup: {} uploaded files", files.len());
    }

    let manifest = Manifest {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        app_version: env!("CARGO_PKG_VERSION").to_owned(),
        backend: db.backend().as_str().to_owned(),
        schema_version,
        created_at: created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        tables,
        entries,
    };

    // 3. The archive, under a temporary name until it is complete and on disk.
    let partial = dir.join(format!(".{name}.partial"));
    let guard = RemoveOnDrop(Some(partial.clone()));
    let file =
        File::create(&partial).with_context(|| format!("cannot create {}", partial.display()))?;
    // Hashed below the encryption: the `.sha256` file is over the bytes on disk.
    let hashing = Hashing::new(BufWriter::new(file));
    let sealing = Sealing::new(hashing, recipients).context("cannot start the encryption")?;
    let gz = flate2::write::GzEncoder::new(sealing, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mtime = u64::try_from(created_at.unix_timestamp()).unwrap_or(0);
    let manifest_json = serde_json::to_vec_pretty(&manifest)?;
    append(
        &mut tar,
        MANIFEST,
        manifest_json.len() as u64,
        mtime,
        &manifest_json[..],
    )?;
    for table in formula_store::dump::dump_tables() {
        let entry = format!("{DATA_PREFIX}{table}.jsonl");
        let source = staging.path().join(&entry);
        let size = fs::metadata(&source)?.len();
        append(&mut tar, &entry, size, mtime, File::open(&source)?)?;
    }
    for (rel, full) in &files {
        let entry = format!("{FILES_PREFIX}{rel}");
        let expected = manifest.entries.get(&entry).map_or(0, |e| e.bytes);
        append(&mut tar, &entry, expected, mtime, File::open(full)?)?;
    }
    let gz = tar.into_inner().context("cannot finish the archive")?;
    let sealing = gz.finish().context("cannot finish the compression")?;
    let hashing = sealing.finish().context("cannot finish the encryption")?;
    let (buffered, sum) = hashing.finish();
    let file = buffered
        .into_inner()
        .map_err(|e| anyhow!("cannot write {}: {}", partial.display(), e.error()))?;
    file.sync_all()
        .with_context(|| format!("cannot flush {} to disk", partial.display()))?;
    drop(file);
    fs::rename(&partial, path)
        .with_context(|| format!("cannot rename {} to {}", partial.display(), path.display()))?;
    guard.disarm();
    write_atomically(
        &dir.join(format!("{name}.sha256")),
        format!("{}  {name}\n", sum.sha256).as_bytes(),
    )?;
    sync_dir(dir);
    Ok(Written {
        path: path.to_owned(),
        sha256: sum.sha256,
        bytes: sum.bytes,
        manifest,
    })
}

/// Appends one regular file with fixed ownership and mode, so archives of the same data
/// differ only in their timestamps.
fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    mtime: u64,
    data: impl Read,
) -> anyhow::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(mtime);
    header.set_entry_type(tar::EntryType::Regular);
    // `take` keeps the entry exactly as long as its header says even if a file grew.
    tar.append_data(&mut header, name, data.take(size))
        .with_context(|| format!("cannot add {name} to the archive"))
}

/// Every regular file under `dir`, as (path relative to `root` with `/`, full path), sorted.
fn collect_files(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> anyhow::Result<()> {
    let mut items: Vec<_> = fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .collect::<Result<_, _>>()?;
    items.sort_by_key(fs::DirEntry::file_name);
    for item in items {
        let path = item.path();
        let kind = item.file_type()?;
        if kind.is_dir() {
            collect_files(root, &path, out)?;
        } else if kind.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let rel: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push((rel.join("/"), path));
        }
    }
    Ok(())
}

/// Writes the dump's events into one `data/<table>.jsonl` file per table, hashing each.
struct TableFiles {
    dir: PathBuf,
    current: Option<(&'static str, Hashing<BufWriter<File>>, u64)>,
    done: BTreeMap<String, EntrySum>,
}

impl TableFiles {
    fn new(dir: &Path) -> Self {
        TableFiles {
            dir: dir.to_owned(),
            current: None,
            done: BTreeMap::new(),
        }
    }

    fn event(&mut self, event: DumpEvent<'_>) -> io::Result<()> {
        match event {
            DumpEvent::Table(table) => {
                self.close()?;
                let path = self.dir.join(format!("{DATA_PREFIX}{table}.jsonl"));
                self.current = Some((table, Hashing::new(BufWriter::new(File::create(path)?)), 0));
            }
            DumpEvent::Row { line, .. } => {
                let Some((table, out, rows)) = self.current.as_mut() else {
                    return Err(io::Error::other("a row before its table"));
                };
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")?;
                *rows += 1;
                if *rows % 50_000 == 0 {
                    eprintln!("backup: {table}: {rows} rows so far");
                }
            }
        }
        Ok(())
    }

    fn close(&mut self) -> io::Result<()> {
        if let Some((table, out, rows)) = self.current.take() {
            let (mut buffered, sum) = out.finish();
            buffered.flush()?;
            eprintln!("backup: {table}: {rows} rows");
            self.done.insert(format!("{DATA_PREFIX}{table}.jsonl"), sum);
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<BTreeMap<String, EntrySum>> {
        self.close()?;
        Ok(self.done)
    }
}

/// Removes a file when dropped, unless disarmed: no partial archive survives a failure.
struct RemoveOnDrop(Option<PathBuf>);

impl RemoveOnDrop {
    fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = fs::remove_file(path);
        }
    }
}

/// Writes a small file through a temporary name, so readers never see half of it.
pub fn write_atomically(path: &Path, content: &[u8]) -> anyhow::Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let result = (|| -> io::Result<()> {
        let mut file = File::create(&tmp)?;
        file.write_all(content)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write {}", path.display()))
}

/// Makes renames in `dir` durable (best effort: not every file system supports it).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// An archive unpacked into a scratch directory, every entry checked against the manifest.
pub struct Unpacked {
    /// The manifest.
    pub manifest: Manifest,
    /// Where the entries are (removed on drop).
    pub dir: Scratch,
}

/// Why an archive is refused; the message names the archive and what is wrong with it.
fn bad(path: &Path, what: impl std::fmt::Display) -> anyhow::Error {
    Refused(format!("{}: {what}", path.display())).into()
}

/// Checks `path` against its `.sha256` file (when there is one), unpacks every entry into a
/// scratch directory under `work` while hashing it, and checks each against the manifest.
/// An age-encrypted archive is decrypted on the fly with the identities in
/// `identity_file` (`BACKUP_ENCRYPTION_IDENTITY_FILE`), and refused without one.
pub fn unpack(path: &Path, work: &Path, identity_file: Option<&Path>) -> anyhow::Result<Unpacked> {
    if !path.is_file() {
        return Err(bad(path, "no such file"));
    }
    let sidecar = PathBuf::from(format!("{}.sha256", path.display()));
    if sidecar.is_file() {
        let text = fs::read_to_string(&sidecar)
            .with_context(|| format!("cannot read {}", sidecar.display()))?;
        let expected = text
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        let actual =
            sha256_file(path).with_context(|| format!("cannot read {}", path.display()))?;
        if expected != actual {
            return Err(bad(
                path,
                format!(
                    "checksum mismatch: the archive does not match {} (it is corrupted or truncated)",
                    sidecar.display()
                ),
            ));
        }
        eprintln!("verify: checksum matches {}", sidecar.display());
    }

    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut input = BufReader::new(file);
    let damaged = |e: io::Error| bad(path, format!("the archive is truncated or corrupted ({e})"));
    let input: Box<dyn Read> = if encryption::is_encrypted(&mut input).map_err(damaged)? {
        const VARIABLE: &str = "BACKUP_ENCRYPTION_IDENTITY_FILE";
        let Some(identity_file) = identity_file else {
            return Err(bad(
                path,
                format!(
                    "the archive is encrypted (age); set {VARIABLE} to the identity file holding its secret key"
                ),
            ));
        };
        let identities = encryption::read_identities(VARIABLE, identity_file)?;
        let reader = encryption::decrypt(input, &identities).map_err(|m| bad(path, m))?;
        eprintln!("verify: decrypting with {}", identity_file.display());
        Box::new(reader)
    } else {
        Box::new(input)
    };
    let dir = Scratch::new(work, "unpack")?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(input));
    let mut found: BTreeMap<String, EntrySum> = BTreeMap::new();
    let mut manifest_text = None;
    for entry in archive.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let name = entry
            .path()
            .map_err(damaged)?
            .to_str()
            .map(str::to_owned)
            .ok_or_else(|| bad(path, "an entry name is not UTF-8"))?;
        if !entry.header().entry_type().is_file() {
            return Err(bad(
                path,
                format!("unexpected entry {name} (not a regular file)"),
            ));
        }
        if name == MANIFEST {
            let mut text = String::new();
            entry.read_to_string(&mut text).map_err(damaged)?;
            manifest_text = Some(text);
            continue;
        }
        let relative =
            safe_entry_path(&name).ok_or_else(|| bad(path, format!("unexpected entry {name}")))?;
        let target = dir.path().join(relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut out = Hashing::new(BufWriter::new(File::create(&target)?));
        io::copy(&mut entry, &mut out).map_err(damaged)?;
        let (mut buffered, sum) = out.finish();
        buffered.flush()?;
        if found.insert(name.clone(), sum).is_some() {
            return Err(bad(path, format!("entry {name} appears twice")));
        }
    }
    // Read to the very end, so gzip checks its CRC and length even after tar's end marker,
    // and age authenticates its final chunk (which is what detects a cut-off file).
    let mut rest = archive.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(damaged)?;
    io::copy(&mut rest.into_inner(), &mut io::sink()).map_err(damaged)?;

    let text = manifest_text.ok_or_else(|| {
        bad(
            path,
            "no manifest.json: not a formula-pm archive, or truncated",
        )
    })?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| bad(path, format!("manifest.json is not valid ({e})")))?;
    if manifest.format != FORMAT {
        return Err(bad(
            path,
            format!("not a formula-pm archive (format {:?})", manifest.format),
        ));
    }
    if manifest.format_version > FORMAT_VERSION {
        return Err(bad(
            path,
            format!(
                "archive format version {} is newer than this formula-pm reads ({FORMAT_VERSION}); upgrade formula-pm",
                manifest.format_version
            ),
        ));
    }
    for (name, want) in &manifest.entries {
        match found.get(name) {
            None => {
                return Err(bad(
                    path,
                    format!("missing entry {name} (truncated archive?)"),
                ));
            }
            Some(got) if got != want => {
                return Err(bad(
                    path,
                    format!("corrupted entry {name}: checksum mismatch with the manifest"),
                ));
            }
            Some(_) => {}
        }
    }
    if let Some(extra) = found.keys().find(|n| !manifest.entries.contains_key(*n)) {
        return Err(bad(
            path,
            format!("entry {extra} is not listed in the manifest"),
        ));
    }
    for table in manifest.tables.keys() {
        if !manifest
            .entries
            .contains_key(&format!("{DATA_PREFIX}{table}.jsonl"))
        {
            return Err(bad(
                path,
                format!("the manifest counts table {table} but has no data for it"),
            ));
        }
    }
    eprintln!("verify: {} entries match the manifest", found.len() + 1);
    Ok(Unpacked { manifest, dir })
}

/// `data/<table>.jsonl` or `files/<relative path>`, as a safe relative path; anything else
/// (absolute paths, `..`, other directories) is refused.
fn safe_entry_path(name: &str) -> Option<PathBuf> {
    let ok_data = name
        .strip_prefix(DATA_PREFIX)
        .and_then(|t| t.strip_suffix(".jsonl"))
        .is_some_and(|t| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
    let ok_file = name.strip_prefix(FILES_PREFIX).is_some_and(|rest| {
        !rest.is_empty()
            && Path::new(rest)
                .components()
                .all(|c| matches!(c, Component::Normal(_)))
    });
    (ok_data || ok_file).then(|| PathBuf::from(name))
}

impl Unpacked {
    /// The uploaded files in the archive, as (relative path under uploads, unpacked path).
    pub fn files(&self) -> Vec<(String, PathBuf)> {
        self.manifest
            .entries
            .keys()
            .filter_map(|name| {
                let rel = name.strip_prefix(FILES_PREFIX)?;
                Some((rel.to_owned(), self.dir.path().join(name)))
            })
            .collect()
    }

    /// Loads the data into `db` (migrated to the archive's schema version) in one
    /// transaction, refusing a non-empty database unless `replace`, and checking the counts
    /// against the manifest before committing.
    pub async fn load_into(&self, db: &Db, replace: bool) -> anyhow::Result<TableCounts> {
        let ours = formula_store::dump::latest_schema_version();
        if self.manifest.schema_version > ours {
            bail!(Refused(format!(
                "the archive has schema version {}, newer than this formula-pm supports ({ours}); restore it with a newer formula-pm",
                self.manifest.schema_version
            )));
        }
        let known: Vec<&str> = formula_store::dump::dump_tables().collect();
        if let Some(unknown) = self
            .manifest
            .tables
            .keys()
            .find(|t| !known.contains(&t.as_str()))
        {
            bail!(Refused(format!(
                "the archive holds table {unknown}, which this formula-pm does not know"
            )));
        }
        let data = self.dir.path().join("data");
        let counts = &self.manifest.tables;
        let options = LoadOptions {
            replace,
            expected: Some(counts.clone()),
        };
        let result = db
            .load(
                |table| -> io::Result<Option<Box<dyn BufRead>>> {
                    let path = data.join(format!("{table}.jsonl"));
                    if !path.is_file() {
                        return Ok(None);
                    }
                    eprintln!(
                        "restore: {table}: {} rows",
                        counts.get(table).copied().unwrap_or(0)
                    );
                    Ok(Some(Box::new(BufReader::new(File::open(path)?))))
                },
                &options,
            )
            .await;
        match result {
            Ok(counts) => Ok(counts),
            // Refusals the operator can act on keep their own message.
            Err(e @ formula_store::dump::DumpError::NotEmpty(_))
            | Err(e @ formula_store::dump::DumpError::CountMismatch { .. }) => {
                Err(Refused(e.to_string()).into())
            }
            Err(e) => Err(anyhow::Error::new(e).context("cannot load the archive")),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths_stay_inside_the_scratch_directory() {
        assert!(safe_entry_path("data/tasks.jsonl").is_some());
        assert!(safe_entry_path("files/2026/a b.pdf").is_some());
        for bad in [
            "../x",
            "/etc/passwd",
            "data/../x.jsonl",
            "files/../../x",
            "files/",
            "other/x",
            "data/Tasks.jsonl",
        ] {
            assert!(safe_entry_path(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn file_stamps_round_trip() {
        let at = time::macros::datetime!(2026-11-25 20:15:30.123 UTC);
        assert_eq!(file_stamp(at), "20261125T201530.123Z");
        assert_eq!(parse_file_stamp("20261125T201530.123Z"), Some(at));
        assert_eq!(parse_file_stamp("latest"), None);
    }
}
