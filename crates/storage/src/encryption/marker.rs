//! The key-check file `<dir>/ENCRYPTION` and what a data dir's files say
//! about whether it is encrypted.
//!
//! The file is small text, so an operator who finds it knows what it is:
//!
//! ```text
//! ferrodyn encryption 1
//! cipher aes-256-ctr
//! kdf hkdf-sha256
//! salt <64 hex digits>
//! check <64 hex digits>
//! ```
//!
//! `salt` feeds the key derivation; `check` is an HMAC that only the right key
//! reproduces, so a wrong key is refused before RocksDB reads a byte. RocksDB
//! ignores files whose names it does not know, so the file can live in the
//! database directory itself and moves with it.

use std::fs::{self, File};
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};

use super::cipher::{has_encrypted_prefix, DirCipher, SALT_LEN};
use super::key::EncryptionKey;
use super::EncryptionError;

/// Name of the key-check file inside a data dir.
pub(crate) const MARKER_FILE: &str = "ENCRYPTION";
const HEADER: &str = "ferrodyn encryption 1";
const CIPHER: &str = "aes-256-ctr";
const KDF: &str = "hkdf-sha256";

/// The contents of a key-check file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Marker {
    salt: [u8; SALT_LEN],
    check: [u8; 32],
}

/// What a data dir holds, as far as encryption goes.
#[derive(Debug)]
pub(crate) enum DirState {
    /// No database yet (no `CURRENT`) and no key-check file.
    New,
    /// A database written without encryption.
    Plaintext,
    /// A key-check file, with or without a database behind it.
    Encrypted(Marker),
}

impl Marker {
    /// A marker with a fresh random salt for `key`, and the dir's cipher.
    pub(crate) fn create(key: &EncryptionKey) -> Result<(Marker, DirCipher), EncryptionError> {
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt).map_err(|e| EncryptionError::Random(e.to_string()))?;
        let cipher = DirCipher::derive(key, &salt);
        let marker = Marker {
            salt,
            check: cipher.marker_check(),
        };
        Ok((marker, cipher))
    }

    /// The dir's cipher, if `key` is the one this marker was made for.
    pub(crate) fn unlock(
        &self,
        key: &EncryptionKey,
        dir: &Path,
    ) -> Result<DirCipher, EncryptionError> {
        let cipher = DirCipher::derive(key, &self.salt);
        if !cipher.verifies_marker(&self.check) {
            return Err(EncryptionError::WrongKey {
                dir: dir.to_path_buf(),
            });
        }
        Ok(cipher)
    }

    /// Reads `dir`'s key-check file; `None` when there is none.
    pub(crate) fn read(dir: &Path) -> Result<Option<Marker>, EncryptionError> {
        let path = dir.join(MARKER_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(EncryptionError::io("cannot read", &path, e)),
        };
        Marker::parse(&text)
            .map(Some)
            .map_err(|reason| EncryptionError::MarkerDamaged { path, reason })
    }

    /// Writes the key-check file into `dir` durably: a temporary file, synced,
    /// renamed over the final name, then the directory synced. A crash leaves
    /// either no file or a whole one.
    pub(crate) fn write(&self, dir: &Path) -> Result<(), EncryptionError> {
        let path = dir.join(MARKER_FILE);
        let tmp = dir.join(format!("{MARKER_FILE}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(self.render().as_bytes())?;
            file.sync_all()?;
            fs::rename(&tmp, &path)?;
            sync_dir(dir)
        };
        write().map_err(|e| EncryptionError::io("cannot write", &path, e))
    }

    fn render(&self) -> String {
        format!(
            "{HEADER}\ncipher {CIPHER}\nkdf {KDF}\nsalt {}\ncheck {}\n",
            hex::encode(self.salt),
            hex::encode(self.check)
        )
    }

    fn parse(text: &str) -> Result<Marker, String> {
        let mut lines = text.lines();
        let header = lines.next().unwrap_or_default();
        if header != HEADER {
            return Err(format!(
                "first line is {header:?}, not {HEADER:?} (written by a newer ferrodyn?)"
            ));
        }
        let mut fields = std::collections::BTreeMap::new();
        for line in lines.filter(|l| !l.trim().is_empty()) {
            let (name, value) = line
                .split_once(' ')
                .ok_or_else(|| format!("line {line:?} is not `name value`"))?;
            fields.insert(name, value.trim());
        }
        let field = |name: &str| {
            fields
                .get(name)
                .copied()
                .ok_or_else(|| format!("no `{name}` line"))
        };
        expect_value("cipher", field("cipher")?, CIPHER)?;
        expect_value("kdf", field("kdf")?, KDF)?;
        Ok(Marker {
            salt: hex_32("salt", field("salt")?)?,
            check: hex_32("check", field("check")?)?,
        })
    }
}

fn expect_value(name: &str, found: &str, supported: &str) -> Result<(), String> {
    if found == supported {
        Ok(())
    } else {
        Err(format!(
            "{name} {found:?} is not supported (only {supported})"
        ))
    }
}

fn hex_32(name: &str, text: &str) -> Result<[u8; 32], String> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).map_err(|_| format!("`{name}` is not 64 hex digits"))?;
    Ok(out)
}

/// Classifies `dir`. A `CURRENT` file without a key-check file is a
/// plaintext database — unless `CURRENT` itself is encrypted, which means the
/// key-check file was lost, and guessing would be wrong either way.
pub(crate) fn inspect(dir: &Path) -> Result<DirState, EncryptionError> {
    if let Some(marker) = Marker::read(dir)? {
        return Ok(DirState::Encrypted(marker));
    }
    let current = dir.join("CURRENT");
    match fs::read(&current) {
        Ok(bytes) if has_encrypted_prefix(&bytes) => Err(EncryptionError::MarkerMissing {
            dir: dir.to_path_buf(),
        }),
        Ok(_) => Ok(DirState::Plaintext),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(DirState::New),
        Err(e) => Err(EncryptionError::io("cannot read", &current, e)),
    }
}

/// Syncs a directory, so that a rename or a new file in it survives a crash.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The path of the sibling `<dir><suffix>`, e.g. `data.rekey-new` for
/// `data`; `None` for a path without a last component (`/`, `..`).
pub(crate) fn sibling(dir: &Path, suffix: &str) -> Option<PathBuf> {
    let mut name = dir.file_name()?.to_os_string();
    name.push(suffix);
    Some(dir.with_file_name(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> EncryptionKey {
        EncryptionKey::from_bytes([byte; 32]).unwrap()
    }

    #[test]
    fn written_marker_reads_back_and_unlocks_only_with_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let (marker, _) = Marker::create(&key(1)).unwrap();
        marker.write(dir.path()).unwrap();
        let text = fs::read_to_string(dir.path().join(MARKER_FILE)).unwrap();
        assert!(text.starts_with("ferrodyn encryption 1\ncipher aes-256-ctr\n"));
        let read = Marker::read(dir.path()).unwrap().unwrap();
        assert_eq!(read, marker);
        assert!(read.unlock(&key(1), dir.path()).is_ok());
        let err = read.unlock(&key(2), dir.path()).unwrap_err();
        assert!(matches!(err, EncryptionError::WrongKey { .. }), "{err}");
        assert!(!dir.path().join("ENCRYPTION.tmp").exists());
    }

    #[test]
    fn fresh_markers_have_fresh_salts() {
        let (a, _) = Marker::create(&key(1)).unwrap();
        let (b, _) = Marker::create(&key(1)).unwrap();
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.check, b.check);
    }

    #[test]
    fn damaged_markers_say_what_is_wrong() {
        let (marker, _) = Marker::create(&key(1)).unwrap();
        let good = marker.render();
        let cases = [
            (
                good.replace("encryption 1", "encryption 2"),
                "newer ferrodyn",
            ),
            (
                good.replace("aes-256-ctr", "rot13"),
                "cipher \"rot13\" is not supported",
            ),
            (good.replace("salt ", "pepper "), "no `salt` line"),
            (
                good.replace("check ", "check zz"),
                "`check` is not 64 hex digits",
            ),
        ];
        for (text, expected) in cases {
            let reason = Marker::parse(&text).unwrap_err();
            assert!(reason.contains(expected), "{reason:?} lacks {expected:?}");
        }
    }

    #[test]
    fn a_dir_is_new_plaintext_or_encrypted() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(inspect(dir.path()).unwrap(), DirState::New));
        fs::write(dir.path().join("CURRENT"), "MANIFEST-000005\n").unwrap();
        assert!(matches!(inspect(dir.path()).unwrap(), DirState::Plaintext));
        let (marker, _) = Marker::create(&key(1)).unwrap();
        marker.write(dir.path()).unwrap();
        assert!(matches!(
            inspect(dir.path()).unwrap(),
            DirState::Encrypted(_)
        ));
    }

    #[test]
    fn encrypted_current_without_marker_is_not_taken_for_plaintext() {
        let dir = tempfile::tempdir().unwrap();
        let (_, cipher) = Marker::create(&key(1)).unwrap();
        let mut current = vec![0u8; super::super::cipher::PREFIX_LEN + 16];
        cipher.new_prefix(&mut current).unwrap();
        fs::write(dir.path().join("CURRENT"), current).unwrap();
        let err = inspect(dir.path()).unwrap_err();
        assert!(
            matches!(err, EncryptionError::MarkerMissing { .. }),
            "{err}"
        );
    }

    #[test]
    fn sibling_names_sit_beside_the_dir() {
        assert_eq!(
            sibling(Path::new("/srv/data"), ".rekey-new"),
            Some(PathBuf::from("/srv/data.rekey-new"))
        );
        assert_eq!(sibling(Path::new("/"), ".x"), None);
    }
}
