//! Encryption at rest from the command line: `serve --encryption-key-file` (or
//! `FERRODYN_ENCRYPTION_KEY`) and `ferrodyn rekey`. The cipher, the key-check file and the
//! re-encryption live in `ferrodyn_storage::encryption`; this reads keys and reports.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use ferrodyn_storage::EncryptionKey;

/// The environment variable that may hold the key, as 64 hex digits.
pub const KEY_ENV: &str = "FERRODYN_ENCRYPTION_KEY";

/// `ferrodyn serve`'s encryption option.
#[derive(clap::Args)]
pub struct EncryptionArgs {
    /// Encrypt every file of the data dir (items, indexes, streams, WAL, SST files) with
    /// AES-256 under this key: a file of 32 random bytes (`head -c 32 /dev/urandom`) or 64 hex
    /// digits. FERRODYN_ENCRYPTION_KEY may give the hex digits instead. A data dir made with a
    /// key needs the same key from then on; `ferrodyn rekey` changes it.
    #[arg(long, value_name = "FILE", help_heading = "Security")]
    pub encryption_key_file: Option<PathBuf>,
}

/// The key of `--encryption-key-file` or `FERRODYN_ENCRYPTION_KEY`, if any.
pub fn key(args: &EncryptionArgs) -> Result<Option<EncryptionKey>, String> {
    key_from(
        args.encryption_key_file.as_deref(),
        std::env::var(KEY_ENV).ok().filter(|v| !v.trim().is_empty()),
    )
}

fn key_from(file: Option<&Path>, env: Option<String>) -> Result<Option<EncryptionKey>, String> {
    match (file, env) {
        (Some(_), Some(_)) => Err(format!(
            "both --encryption-key-file and {KEY_ENV} are set: give the key once"
        )),
        (Some(path), None) => read_key_file(path).map(Some),
        (None, Some(hex)) => EncryptionKey::from_hex(hex.trim())
            .map(Some)
            .map_err(|e| format!("{KEY_ENV}: {e}")),
        (None, None) => Ok(None),
    }
}

fn read_key_file(path: &Path) -> Result<EncryptionKey, String> {
    let bytes = std::fs::read(path).map_err(|e| {
        format!(
            "cannot read the encryption key file {}: {e}",
            path.display()
        )
    })?;
    warn_if_readable_by_others(path);
    EncryptionKey::from_file_bytes(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// A key others can read protects nothing from them: say so (but start, as ssh does not).
fn warn_if_readable_by_others(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode();
            if mode & 0o077 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    mode = format!("{:o}", mode & 0o777),
                    "the encryption key file is readable by other users: chmod 600 it"
                );
            }
        }
    }
}

/// `ferrodyn rekey`: re-encrypts a data dir under a new key.
#[derive(clap::Args)]
pub struct RekeyArgs {
    /// The data dir to re-encrypt; no server may be using it.
    #[arg(long, default_value = "./ferrodyn-data", help_heading = "Storage")]
    data_dir: PathBuf,
    /// The key the data dir is encrypted with now (leave out for an unencrypted dir, to
    /// encrypt it).
    #[arg(long, value_name = "FILE", help_heading = "Keys")]
    old_key_file: Option<PathBuf>,
    /// The key to encrypt it with from now on (leave out to decrypt it).
    #[arg(long, value_name = "FILE", help_heading = "Keys")]
    new_key_file: Option<PathBuf>,
}

/// Runs `ferrodyn rekey`.
pub fn run_rekey(args: RekeyArgs) -> ExitCode {
    match rekey(&args) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ferrodyn rekey: {e}");
            ExitCode::FAILURE
        }
    }
}

fn rekey(args: &RekeyArgs) -> Result<String, String> {
    if args.old_key_file.is_none() && args.new_key_file.is_none() {
        return Err("give --old-key-file, --new-key-file or both".into());
    }
    let old = args
        .old_key_file
        .as_deref()
        .map(read_key_file)
        .transpose()?;
    let new = args
        .new_key_file
        .as_deref()
        .map(read_key_file)
        .transpose()?;
    let report = ferrodyn_storage::rekey(&args.data_dir, old.as_ref(), new.as_ref())
        .map_err(|e| e.to_string())?;
    let what = match (&old, &new) {
        (_, None) => "decrypted",
        (None, Some(_)) => "encrypted",
        (Some(_), Some(_)) => "re-encrypted under the new key",
    };
    Ok(format!(
        "{dir}: {what} ({files} files, {bytes} bytes, {keys} keys, checked key by key).\n\
         The previous copy is in {previous}: delete it once the server starts with the new key.",
        dir = args.data_dir.display(),
        files = report.files,
        bytes = report.bytes,
        keys = report.keys,
        previous = report.previous.display(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_comes_from_the_file_or_the_environment_never_both() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("key");
        std::fs::write(&file, [7u8; 32]).unwrap();
        let hex = "07".repeat(32);
        assert!(key_from(Some(&file), None).unwrap().is_some());
        assert!(key_from(None, Some(hex.clone())).unwrap().is_some());
        assert!(key_from(None, None).unwrap().is_none());
        let both = key_from(Some(&file), Some(hex)).err().unwrap();
        assert!(both.contains("give the key once"), "{both}");
        let short = key_from(None, Some("abcd".into())).err().unwrap();
        assert!(short.starts_with("FERRODYN_ENCRYPTION_KEY: "), "{short}");
        let missing = key_from(Some(&dir.path().join("nope")), None)
            .err()
            .unwrap();
        assert!(
            missing.contains("cannot read the encryption key file"),
            "{missing}"
        );
    }
}
