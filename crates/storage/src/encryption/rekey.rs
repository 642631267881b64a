//! Re-encrypting a data dir under a new key, file by file.
//!
//! Files are re-encrypted byte for byte rather than copying keys and values
//! into a fresh database: a copy would restart RocksDB's sequence numbers,
//! from which [`RocksDbStorage`](crate::RocksDbStorage) seeds its versions,
//! so versions handed out after the rekey could repeat old ones. A byte copy
//! keeps the WAL, the MANIFEST and so the sequence numbers exactly.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use rocksdb::{Options, DB};

use super::cipher::{DirCipher, Nonce, PrefixError, PREFIX_LEN};
use super::key::EncryptionKey;
use super::marker::{sibling, sync_dir, Marker, MARKER_FILE};
use super::{encrypted_env, prepare, EncryptionError};
use crate::{RocksDbOptions, StorageError};

/// Where a rekey builds the re-encrypted copy, beside the data dir.
const PENDING_SUFFIX: &str = ".rekey-new";
/// Bytes re-encrypted per read.
const CHUNK: usize = 1 << 20;

/// What [`rekey`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RekeyReport {
    /// Files re-encrypted.
    pub files: usize,
    /// Bytes of file contents re-encrypted (prefixes not counted).
    pub bytes: u64,
    /// Keys found identical in the old and the new database.
    pub keys: u64,
    /// Where the old database now is, still under the old key. Delete it
    /// once the new key is known to work: until then it is the way back, and
    /// it stays readable with the old key.
    pub previous: PathBuf,
}

/// Re-encrypts the database in `dir` from `old_key` to `new_key`, where
/// `None` means unencrypted (so this also encrypts a plaintext dir, or
/// decrypts one). The server must be stopped; RocksDB's lock on `dir` makes
/// a running one fail this with a backend error.
///
/// Steps, and what a crash at each leaves:
///
/// 1. `dir` is opened with `old_key` (the same checks and errors as opening
///    the storage) and kept open, without compactions, so its files hold
///    still and nothing else can open it.
/// 2. Every file is re-encrypted into `<dir>.rekey-new`, synced, with a new
///    key-check file and a new salt. A crash leaves `dir` untouched and a
///    partial copy, which the next rekey deletes.
/// 3. The copy is opened with `new_key` and compared key by key, value by
///    value, with the original; its sequence number must not be lower.
/// 4. `dir` is renamed to `<dir>.old-<unix seconds>` and the copy to `dir`,
///    then the parent directory is synced. A crash between the two renames
///    leaves no `dir`; opening it then fails with
///    [`EncryptionError::InterruptedRekey`], which names the complete copy
///    to move back, instead of creating an empty database.
pub fn rekey(
    dir: &Path,
    old_key: Option<&EncryptionKey>,
    new_key: Option<&EncryptionKey>,
) -> Result<RekeyReport, StorageError> {
    let dir = fs::canonicalize(dir).map_err(|e| EncryptionError::io("cannot open", dir, e))?;
    if old_key.is_none() && new_key.is_none() {
        return Err(refusal(&dir, "neither an old nor a new key was given").into());
    }
    if !dir.join("CURRENT").exists() {
        return Err(refusal(&dir, "it holds no database").into());
    }
    let pending = sibling(&dir, PENDING_SUFFIX)
        .ok_or_else(|| refusal(&dir, "it has no name to put a copy beside"))?;
    remove_stale_copy(&pending)?;

    let old_cipher = prepare(&dir, old_key)?;
    let old_db = open_without_compactions(&dir, old_cipher.clone())?;
    let copied = copy_into(&dir, &pending, old_cipher.as_ref(), new_key).and_then(
        |(files, bytes, new_cipher)| {
            let keys = verify_copy(&dir, &old_db, &pending, new_cipher)?;
            Ok((files, bytes, keys))
        },
    );
    drop(old_db);
    let (files, bytes, keys) = match copied {
        Ok(done) => done,
        Err(e) => {
            let _ = fs::remove_dir_all(&pending);
            return Err(e);
        }
    };
    let previous = swap_in(&dir, &pending)?;
    tracing::info!(dir = %dir.display(), files, bytes, keys, previous = %previous.display(), "rekeyed");
    Ok(RekeyReport {
        files,
        bytes,
        keys,
        previous,
    })
}

/// Refuses to open a dir without a database when a rekey's copy waits
/// beside it: the rekey stopped between its two renames.
pub(crate) fn refuse_interrupted(dir: &Path) -> Result<(), EncryptionError> {
    match sibling(dir, PENDING_SUFFIX) {
        Some(pending) if pending.join("CURRENT").exists() => {
            Err(EncryptionError::InterruptedRekey {
                dir: dir.to_path_buf(),
                pending,
            })
        }
        _ => Ok(()),
    }
}

fn refusal(dir: &Path, reason: impl Into<String>) -> EncryptionError {
    EncryptionError::Rekey {
        dir: dir.to_path_buf(),
        reason: reason.into(),
    }
}

/// Deletes what a crashed earlier rekey left beside a dir that still holds
/// its database: an unfinished (or unswapped) copy, never the only one.
fn remove_stale_copy(pending: &Path) -> Result<(), EncryptionError> {
    if !pending.exists() {
        return Ok(());
    }
    tracing::warn!(path = %pending.display(), "removing the copy left by an interrupted rekey");
    fs::remove_dir_all(pending).map_err(|e| EncryptionError::io("cannot remove", pending, e))
}

/// Opens `path` (which must hold a database) with background compactions
/// off, so that the set of files does not change while it is open.
fn open_without_compactions(path: &Path, cipher: Option<DirCipher>) -> Result<DB, StorageError> {
    let mut opts: Options = RocksDbOptions::default().to_rocksdb();
    opts.create_if_missing(false);
    opts.set_disable_auto_compactions(true);
    if let Some(cipher) = cipher {
        opts.set_env(&encrypted_env(cipher)?);
    }
    DB::open(&opts, path).map_err(|e| StorageError::Backend(e.into_string()))
}

/// Re-encrypts every file of `dir` into a new `pending` dir. Returns the
/// number of files, their content bytes and the new dir's cipher.
fn copy_into(
    dir: &Path,
    pending: &Path,
    old: Option<&DirCipher>,
    new_key: Option<&EncryptionKey>,
) -> Result<(usize, u64, Option<DirCipher>), StorageError> {
    fs::create_dir(pending).map_err(|e| EncryptionError::io("cannot create", pending, e))?;
    let new = match new_key {
        Some(key) => {
            let (marker, cipher) = Marker::create(key)?;
            marker.write(pending)?;
            Some(cipher)
        }
        None => None,
    };
    let (mut files, mut bytes) = (0, 0);
    let entries = fs::read_dir(dir).map_err(|e| EncryptionError::io("cannot list", dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| EncryptionError::io("cannot list", dir, e))?;
        let name = entry.file_name();
        // RocksDB makes a new LOCK; the new key-check file is already there.
        if name == "LOCK" || name.to_string_lossy().starts_with(MARKER_FILE) {
            continue;
        }
        let src = entry.path();
        let kind = entry
            .file_type()
            .map_err(|e| EncryptionError::io("cannot inspect", &src, e))?;
        if !kind.is_file() {
            return Err(refusal(dir, format!("{} is not a regular file", src.display())).into());
        }
        bytes += transcode(&src, &pending.join(&name), old, new.as_ref()).map_err(|e| match e {
            Transcode::Io(e) => EncryptionError::io("cannot re-encrypt", &src, e),
            Transcode::Prefix(e) => refusal(dir, format!("{}: {e}", src.display())),
        })?;
        files += 1;
    }
    sync_dir(pending).map_err(|e| EncryptionError::io("cannot sync", pending, e))?;
    Ok((files, bytes, new))
}

enum Transcode {
    Io(std::io::Error),
    Prefix(PrefixError),
}

impl From<std::io::Error> for Transcode {
    fn from(e: std::io::Error) -> Self {
        Transcode::Io(e)
    }
}

impl From<PrefixError> for Transcode {
    fn from(e: PrefixError) -> Self {
        Transcode::Prefix(e)
    }
}

/// Rewrites `src` as `dst`: decrypted with `old` (if any), encrypted with
/// `new` (if any), synced. Empty files (RocksDB never encrypts those) stay
/// empty. Returns the bytes of content.
fn transcode(
    src: &Path,
    dst: &Path,
    old: Option<&DirCipher>,
    new: Option<&DirCipher>,
) -> Result<u64, Transcode> {
    let mut input = File::open(src)?;
    let mut output = File::create(dst)?;
    if input.metadata()?.len() == 0 {
        output.sync_all()?;
        return Ok(0);
    }
    let mut reader = Side::reading(&mut input, old)?;
    let mut writer = Side::writing(&mut output, new)?;
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &mut buf[..n];
        reader.apply(chunk);
        writer.apply(chunk);
        output.write_all(chunk)?;
        total += n as u64;
    }
    output.sync_all()?;
    Ok(total)
}

/// One side of a transcode: the cipher, the file's nonce and the file offset
/// of the next byte. Unencrypted files have no cipher and offsets from 0.
struct Side<'a> {
    keystream: Option<(&'a DirCipher, Nonce)>,
    offset: u64,
}

impl<'a> Side<'a> {
    /// Reads and checks the prefix of an encrypted input.
    fn reading(input: &mut File, cipher: Option<&'a DirCipher>) -> Result<Self, Transcode> {
        let Some(cipher) = cipher else {
            return Ok(Side::plain());
        };
        let mut prefix = vec![0u8; PREFIX_LEN];
        let mut got = 0;
        while got < PREFIX_LEN {
            match input.read(&mut prefix[got..])? {
                0 => break,
                n => got += n,
            }
        }
        let nonce = cipher.open_prefix(&prefix[..got])?;
        Ok(Side::encrypted(cipher, nonce))
    }

    /// Writes a fresh prefix to an encrypted output.
    fn writing(output: &mut File, cipher: Option<&'a DirCipher>) -> Result<Self, Transcode> {
        let Some(cipher) = cipher else {
            return Ok(Side::plain());
        };
        let mut prefix = vec![0u8; PREFIX_LEN];
        cipher.new_prefix(&mut prefix)?;
        output.write_all(&prefix)?;
        let nonce = cipher.open_prefix(&prefix)?;
        Ok(Side::encrypted(cipher, nonce))
    }

    fn plain() -> Self {
        Side {
            keystream: None,
            offset: 0,
        }
    }

    fn encrypted(cipher: &'a DirCipher, nonce: Nonce) -> Self {
        Side {
            keystream: Some((cipher, nonce)),
            offset: PREFIX_LEN as u64,
        }
    }

    fn apply(&mut self, chunk: &mut [u8]) {
        if let Some((cipher, nonce)) = &self.keystream {
            cipher.apply(nonce, self.offset, chunk);
        }
        self.offset += chunk.len() as u64;
    }
}

/// Opens the copy and checks that it holds exactly what the original holds,
/// and a sequence number at least as high. Returns the number of keys.
fn verify_copy(
    dir: &Path,
    old_db: &DB,
    pending: &Path,
    new_cipher: Option<DirCipher>,
) -> Result<u64, StorageError> {
    let new_db = open_without_compactions(pending, new_cipher)?;
    let (mut old_it, mut new_it) = (old_db.raw_iterator(), new_db.raw_iterator());
    old_it.seek_to_first();
    new_it.seek_to_first();
    let mut keys = 0u64;
    loop {
        let (old_item, new_item) = (old_it.item(), new_it.item());
        if old_item != new_item {
            let reason = format!("the re-encrypted copy differs from the original at key #{keys}");
            return Err(refusal(dir, reason).into());
        }
        if old_item.is_none() {
            break;
        }
        keys += 1;
        old_it.next();
        new_it.next();
    }
    for it in [&old_it, &new_it] {
        it.status()
            .map_err(|e| StorageError::Backend(e.into_string()))?;
    }
    if new_db.latest_sequence_number() < old_db.latest_sequence_number() {
        return Err(refusal(dir, "the re-encrypted copy lost sequence numbers").into());
    }
    Ok(keys)
}

/// Moves the old database aside and the copy into its place. Returns the
/// old database's new path.
fn swap_in(dir: &Path, pending: &Path) -> Result<PathBuf, EncryptionError> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut previous = sibling(dir, &format!(".old-{seconds}")).expect("dir has a name");
    let mut n = 1;
    while previous.exists() {
        previous = sibling(dir, &format!(".old-{seconds}-{n}")).expect("dir has a name");
        n += 1;
    }
    fs::rename(dir, &previous).map_err(|e| EncryptionError::io("cannot move aside", dir, e))?;
    fs::rename(pending, dir)
        .map_err(|e| EncryptionError::io("cannot move into place", pending, e))?;
    let parent = dir.parent().unwrap_or(Path::new("/"));
    sync_dir(parent).map_err(|e| EncryptionError::io("cannot sync", parent, e))?;
    Ok(previous)
}
