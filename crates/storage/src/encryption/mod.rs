//! Encryption at rest for the RocksDB backend.
//!
//! With an [`EncryptionKey`] in [`RocksDbOptions`](crate::RocksDbOptions),
//! every file RocksDB writes — WAL, SST, MANIFEST (which names the smallest
//! and largest user key of each SST), OPTIONS, CURRENT, IDENTITY and the info
//! LOG — goes through an encrypted RocksDB `Env` (cpp/encrypted_env.cc), so
//! items, index entries and stream records, which are all RocksDB keys and
//! values, never reach the disk in the clear.
//!
//! # Format
//!
//! * The data dir holds a key-check file, `ENCRYPTION` (see `marker`): a
//!   random salt and an HMAC that only the right key reproduces. A wrong key,
//!   a missing key or a key for an unencrypted dir is refused before RocksDB
//!   reads anything, with an [`EncryptionError`].
//! * The operator's key is never used directly: HKDF-SHA256 over it and the
//!   salt gives an AES-256 key for file contents and an HMAC key for checks.
//! * Each file starts with a 4 KiB prefix: magic, a random 128-bit nonce from
//!   the OS, and an HMAC tag binding the nonce to the dir's key (so a file
//!   from another dir or key is refused, not misread). The rest of the file
//!   is AES-256-CTR: byte `i` of the file is XORed with keystream byte `i`
//!   of the counter sequence starting at the nonce.
//!
//! # What it protects, and what not
//!
//! It keeps the contents of a stolen disk, snapshot or backup of the data dir
//! unreadable without the key. It does not hide file names, sizes or times,
//! nor protect a running server's memory. CTR mode has no per-block MAC:
//! RocksDB's own block checksums catch accidental damage, but an attacker who
//! can write to the disk could flip chosen bits undetected — the usual limit
//! of file-level encryption under RocksDB's `Env` (a tag per block would
//! change every offset RocksDB computes).
//!
//! [`rekey`](crate::rekey) re-encrypts a data dir under a new key (or
//! encrypts or decrypts one); see its docs for the crash story.

mod key;
pub use key::{EncryptionKey, KeyError, KEY_LEN};

#[cfg(feature = "rocksdb")]
mod cipher;
#[cfg(feature = "rocksdb")]
mod env;
#[cfg(feature = "rocksdb")]
mod marker;
#[cfg(feature = "rocksdb")]
mod rekey;

#[cfg(feature = "rocksdb")]
pub(crate) use env::encrypted_env;
#[cfg(feature = "rocksdb")]
pub use rekey::{rekey, RekeyReport};

use std::path::PathBuf;

/// Why a data dir cannot be opened (or rekeyed) with the key given. Each
/// message is one line meant for the operator.
#[derive(Debug, thiserror::Error)]
pub enum EncryptionError {
    /// The key does not match the one the dir was encrypted with.
    #[error("the data dir {dir} is encrypted with a different key")]
    WrongKey {
        /// The data dir.
        dir: PathBuf,
    },
    /// The dir is encrypted and no key was given.
    #[error("the data dir {dir} is encrypted and no encryption key was given")]
    KeyRequired {
        /// The data dir.
        dir: PathBuf,
    },
    /// A key was given for a dir holding an unencrypted database.
    #[error(
        "the data dir {dir} holds an unencrypted database, which an encryption key cannot open \
         (rekey it to encrypt it)"
    )]
    NotEncrypted {
        /// The data dir.
        dir: PathBuf,
    },
    /// The database files are encrypted but the key-check file is gone.
    #[error("the data dir {dir} is encrypted but its key-check file ENCRYPTION is missing")]
    MarkerMissing {
        /// The data dir.
        dir: PathBuf,
    },
    /// The key-check file cannot be understood.
    #[error("the key-check file {path} is damaged: {reason}")]
    MarkerDamaged {
        /// The key-check file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A rekey stopped between moving the old database aside and moving the
    /// new one in: the dir is empty and the re-encrypted copy waits beside it.
    #[error(
        "a rekey of {dir} was interrupted: the re-encrypted database is in {pending} \
         (it opens with the new key); move it to {dir}"
    )]
    InterruptedRekey {
        /// The data dir.
        dir: PathBuf,
        /// The complete, re-encrypted copy.
        pending: PathBuf,
    },
    /// Reading or writing a file failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot read", ...).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The OS gave no random bytes.
    #[error("cannot draw random bytes from the operating system: {0}")]
    Random(String),
    /// RocksDB refused to build the encrypted Env.
    #[error("RocksDB refused to build its encrypted file system")]
    Env,
    /// A rekey found something it will not touch, or its copy did not match.
    #[error("cannot rekey {dir}: {reason}")]
    Rekey {
        /// The data dir.
        dir: PathBuf,
        /// Why.
        reason: String,
    },
}

impl EncryptionError {
    #[cfg_attr(not(feature = "rocksdb"), allow(dead_code))]
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        EncryptionError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Decides how `dir` is to be opened with `key`: `Some(cipher)` for the
/// encrypted Env, `None` for a plain one. A new dir opened with a key gets its
/// key-check file here, before RocksDB creates anything.
#[cfg(feature = "rocksdb")]
pub(crate) fn prepare(
    dir: &std::path::Path,
    key: Option<&EncryptionKey>,
) -> Result<Option<cipher::DirCipher>, EncryptionError> {
    use marker::{DirState, Marker};
    match (marker::inspect(dir)?, key) {
        (DirState::New, key) => {
            rekey::refuse_interrupted(dir)?;
            let Some(key) = key else {
                return Ok(None);
            };
            std::fs::create_dir_all(dir)
                .map_err(|e| EncryptionError::io("cannot create", dir, e))?;
            let (marker, cipher) = Marker::create(key)?;
            marker.write(dir)?;
            Ok(Some(cipher))
        }
        (DirState::Plaintext, None) => Ok(None),
        (DirState::Plaintext, Some(_)) => Err(EncryptionError::NotEncrypted {
            dir: dir.to_path_buf(),
        }),
        (DirState::Encrypted(_), None) => Err(EncryptionError::KeyRequired {
            dir: dir.to_path_buf(),
        }),
        (DirState::Encrypted(marker), Some(key)) => marker.unlock(key, dir).map(Some),
    }
}
