//! The file formats of DynamoDB's "export to S3" and "import from S3", over a local directory
//! that stands for the bucket.
//!
//! - [`ExportWriter`] writes a full export as DynamoDB does: under
//!   `<prefix>/AWSDynamoDB/<ExportId>/`, an empty `_started`, gzip'd data files
//!   `data/<26 random chars>.json.gz` (or `.ion.gz`) of one item per line, then
//!   `manifest-files.json` (one line per data file: item count, MD5, ETag, S3 key),
//!   `manifest-summary.json` and their `.checksum` files.
//! - [`import_files`] lists the objects an ImportTable `S3KeyPrefix` selects, and
//!   [`read_items`] reads one of them (DynamoDB JSON or CSV; GZIP, ZSTD or none) into items,
//!   reporting a bad line as a [`LineError`] and going on, as ImportTable counts errors.
//!
//! ```
//! use ferrodyn_exchange::{
//!     import_files, read_items, Compression, ExportFormat, ExportSummaryInfo, ExportWriter,
//!     InputFormat, KeyAttribute, KeyScalar,
//! };
//! use ferrodyn_types::{AttributeValue, Item};
//!
//! let bucket = tempfile::tempdir().unwrap();
//! let dir = bucket.path().join("backups/AWSDynamoDB/01700000000000-abcdef01");
//! let mut writer = ExportWriter::create(&dir, ExportFormat::DynamoDbJson, 1000).unwrap();
//! let item = Item::from([("pk".to_string(), AttributeValue::S("a".into()))]);
//! writer.write_item(&item).unwrap();
//! let info = ExportSummaryInfo { s3_prefix: Some("backups".into()), ..Default::default() };
//! let result = writer.finish(info).unwrap();
//! assert_eq!(result.item_count, 1);
//!
//! let files = import_files(bucket.path(), "backups/AWSDynamoDB/").unwrap();
//! let keys = [KeyAttribute::table("pk", KeyScalar::S)];
//! let items: Vec<_> = read_items(&files[0], &InputFormat::DynamoDbJson, Compression::Gzip, &keys)
//!     .unwrap()
//!     .collect();
//! assert_eq!(items, vec![Ok(item)]);
//! ```
//!
//! **Architecture Invariant:** pure file formats: no tables, no storage, no requests. The
//! caller (engine/api) decides what to export and where imported items go.

#![deny(missing_docs)]

mod export;
mod import;
mod ion;

use std::io;
use std::path::PathBuf;

pub use export::{
    ExportFormat, ExportResult, ExportSummaryInfo, ExportWriter, ManifestFile, ManifestSummary,
};
pub use import::{
    import_files, read_items, Compression, ImportReader, InputFormat, KeyAttribute, KeyScalar,
    LineError,
};

/// Why an export or import could not go on (a bad line of an import source is a
/// [`LineError`] instead, and does not stop it).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file or directory failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A format or compression this crate does not read.
    #[error("{0}")]
    Unsupported(&'static str),
    /// An item handed over in its stored encoding does not decode.
    #[error(transparent)]
    Codec(#[from] ferrodyn_types::CodecError),
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn io_error(path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}

#[cfg(test)]
mod tests;
