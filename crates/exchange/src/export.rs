//! Full table exports in DynamoDB's S3 layout (developer guide, "DynamoDB table export output
//! format"):
//!
//! ```text
//! <prefix>/AWSDynamoDB/<ExportId>/_started                 empty, written first
//! <prefix>/AWSDynamoDB/<ExportId>/data/<name>.json.gz      or .ion.gz, one item per line
//! <prefix>/AWSDynamoDB/<ExportId>/manifest-files.json      one JSON line per data file
//! <prefix>/AWSDynamoDB/<ExportId>/manifest-files.checksum
//! <prefix>/AWSDynamoDB/<ExportId>/manifest-summary.json    written last: the export is done
//! <prefix>/AWSDynamoDB/<ExportId>/manifest-summary.checksum
//! ```

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use ferrodyn_types::{item_size, Item};
use flate2::write::GzEncoder;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use crate::{io_error, ion, Result};

/// The `ExportFormat` of an export: how each item line of a data file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// `DYNAMODB_JSON`: `{"Item":{"pk":{"S":"a"},...}}` per line, in `.json.gz` files.
    DynamoDbJson,
    /// `ION`: `$ion_1_0 {Item:{pk:"a",...}}` per line (Ion text), in `.ion.gz` files.
    Ion,
}

impl ExportFormat {
    /// The wire name, as in `ExportFormat` and the summary's `outputFormat`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ExportFormat::DynamoDbJson => "DYNAMODB_JSON",
            ExportFormat::Ion => "ION",
        }
    }

    fn extension(&self) -> &'static str {
        match self {
            ExportFormat::DynamoDbJson => "json.gz",
            ExportFormat::Ion => "ion.gz",
        }
    }
}

/// What `manifest-summary.json` says about the export that the writer cannot know: the
/// caller's `ExportDescription`. Times are ISO 8601 in UTC with milliseconds, as DynamoDB
/// writes them (`2020-11-04T07:28:34.028Z`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportSummaryInfo {
    /// `exportArn`: `<table ARN>/export/<ExportId>`.
    pub export_arn: String,
    /// `startTime`.
    pub start_time: String,
    /// `endTime`.
    pub end_time: String,
    /// `tableArn`.
    pub table_arn: String,
    /// `tableId`.
    pub table_id: String,
    /// `exportTime`: the point in time the data is from.
    pub export_time: String,
    /// `s3Bucket`.
    pub s3_bucket: String,
    /// `s3Prefix`; also the start of every S3 key in the manifests.
    pub s3_prefix: Option<String>,
    /// `s3SseAlgorithm` (`AES256` or `KMS`).
    pub s3_sse_algorithm: Option<String>,
    /// `s3SseKmsKeyId`.
    pub s3_sse_kms_key_id: Option<String>,
}

/// `manifest-summary.json`, field for field in DynamoDB's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestSummary {
    /// `2020-06-30` for full exports.
    pub version: String,
    /// The export's ARN.
    pub export_arn: String,
    /// When the export started.
    pub start_time: String,
    /// When the export ended.
    pub end_time: String,
    /// The exported table's ARN.
    pub table_arn: String,
    /// The exported table's id.
    pub table_id: String,
    /// The point in time the data is from.
    pub export_time: String,
    /// The destination bucket.
    pub s3_bucket: String,
    /// The destination prefix (`null` without one).
    pub s3_prefix: Option<String>,
    /// The objects' server-side encryption.
    pub s3_sse_algorithm: Option<String>,
    /// The KMS key of `KMS` encryption.
    pub s3_sse_kms_key_id: Option<String>,
    /// The S3 key of `manifest-files.json`.
    pub manifest_files_s3_key: String,
    /// The billed size: the sum of the items' DynamoDB sizes.
    pub billed_size_bytes: u64,
    /// Items exported.
    pub item_count: u64,
    /// `DYNAMODB_JSON` or `ION`.
    pub output_format: String,
    /// `FULL_EXPORT`; absent from exports made before incremental exports existed.
    #[serde(default)]
    pub export_type: Option<String>,
}

/// One line of `manifest-files.json`: a data file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestFile {
    /// Items in the file.
    pub item_count: u64,
    /// Base64 of the MD5 of the file's (compressed) bytes, as S3's `Content-MD5`.
    pub md5_checksum: String,
    /// The object's ETag: the hex MD5 for a single-part upload, which is how ferrodyn writes
    /// (DynamoDB's own are multipart, `<hex>-<parts>`).
    pub etag: String,
    /// The file's S3 key, `<prefix>/AWSDynamoDB/<ExportId>/data/<name>`.
    pub data_file_s3_key: String,
}

/// What [`ExportWriter::finish`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportResult {
    /// Items written.
    pub item_count: u64,
    /// Sum of the items' DynamoDB sizes ([`ferrodyn_types::item_size`]): `BilledSizeBytes`.
    pub billed_size_bytes: u64,
    /// Bytes of the data files, compressed.
    pub file_bytes: u64,
    /// The S3 key of `manifest-summary.json`: the `ExportManifest` of `DescribeExport`.
    pub manifest_summary_s3_key: String,
    /// The data files, as listed in `manifest-files.json`.
    pub files: Vec<ManifestFile>,
}

/// Writes one full export into its `.../AWSDynamoDB/<ExportId>` directory.
///
/// Items go to gzip'd data files, a new one every `items_per_file` items. Nothing tells a
/// reader the export is complete before [`finish`](Self::finish) writes the manifests; a
/// writer dropped without it leaves `_started` and data files only, as a failed export does.
pub struct ExportWriter {
    dir: PathBuf,
    export_id: String,
    format: ExportFormat,
    items_per_file: u64,
    current: Option<DataFile>,
    done: Vec<ClosedFile>,
    item_count: u64,
    billed_size_bytes: u64,
    line: String,
    /// The line being written from an encoded item ([`ExportWriter::write_encoded`]).
    encoded_line: Vec<u8>,
}

struct DataFile {
    name: String,
    path: PathBuf,
    gzip: GzEncoder<Md5Writer>,
    items: u64,
}

struct ClosedFile {
    name: String,
    items: u64,
    md5: [u8; 16],
    bytes: u64,
}

/// Counts and hashes the bytes on their way to the file: the MD5 is of the object as stored.
struct Md5Writer {
    file: BufWriter<File>,
    md5: Md5,
    bytes: u64,
}

impl Write for Md5Writer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.md5.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl ExportWriter {
    /// Starts an export in `export_dir` (`<bucket>/<prefix>/AWSDynamoDB/<ExportId>`, whose
    /// last component is the export id in the manifests' keys): creates it with its `data`
    /// directory and the empty `_started` file. `items_per_file` below 1 counts as 1.
    pub fn create(
        export_dir: &Path,
        format: ExportFormat,
        items_per_file: usize,
    ) -> Result<ExportWriter> {
        let export_id = export_dir
            .file_name()
            .and_then(|name| name.to_str())
            .ok_or_else(|| {
                io_error(export_dir)(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the export directory must end in a UTF-8 export id",
                ))
            })?
            .to_owned();
        let data = export_dir.join("data");
        fs::create_dir_all(&data).map_err(io_error(&data))?;
        let started = export_dir.join("_started");
        File::create(&started).map_err(io_error(&started))?;
        Ok(ExportWriter {
            dir: export_dir.to_owned(),
            export_id,
            format,
            items_per_file: items_per_file.max(1) as u64,
            current: None,
            done: Vec::new(),
            item_count: 0,
            billed_size_bytes: 0,
            line: String::new(),
            encoded_line: Vec::new(),
        })
    }

    /// Appends `item` as one line of the current data file, opening a new file first when
    /// the current one is full.
    pub fn write_item(&mut self, item: &Item) -> Result<()> {
        let mut line = std::mem::take(&mut self.line);
        line.clear();
        match self.format {
            ExportFormat::DynamoDbJson => {
                // Serializing an Item into a String cannot fail: keys are strings.
                let json = serde_json::to_string(item).map_err(io::Error::from);
                let json = json.map_err(io_error(&self.dir))?;
                line.push_str("{\"Item\":");
                line.push_str(&json);
                line.push_str("}\n");
            }
            ExportFormat::Ion => ion::write_item_line(item, &mut line),
        }
        let written = self.write_line(line.as_bytes(), item_size(item) as u64);
        self.line = line;
        written
    }

    /// [`write_item`](Self::write_item) of an item in its stored encoding
    /// (`ferrodyn_types::codec`): the DynamoDB JSON line is written straight from the bytes
    /// (`codec::item_to_json`), with no item built; Ion decodes it first.
    pub fn write_encoded(&mut self, encoded: &[u8]) -> Result<()> {
        if self.format == ExportFormat::Ion {
            return self.write_item(&ferrodyn_types::codec::decode_item(encoded)?);
        }
        let mut line = std::mem::take(&mut self.encoded_line);
        line.clear();
        line.extend_from_slice(b"{\"Item\":");
        let size = ferrodyn_types::codec::item_to_json(encoded, &mut line)?;
        line.extend_from_slice(b"}\n");
        let written = self.write_line(&line, size as u64);
        self.encoded_line = line;
        written
    }

    /// Appends one line (an item of `size` bytes by DynamoDB's formula) to the current data
    /// file, opening a new file first when the current one is full.
    fn write_line(&mut self, line: &[u8], size: u64) -> Result<()> {
        if self.current.is_none() {
            self.current = Some(self.open_data_file()?);
        }
        let Some(file) = self.current.as_mut() else {
            unreachable!("opened above")
        };
        file.gzip.write_all(line).map_err(io_error(&file.path))?;
        file.items += 1;
        let full = file.items >= self.items_per_file;
        self.item_count += 1;
        self.billed_size_bytes += size;
        if full {
            self.close_data_file()?;
        }
        Ok(())
    }

    /// Closes the data files and writes `manifest-files.json`, `manifest-summary.json` and
    /// their `.checksum` files (each the hex MD5 of its manifest). An export of no items
    /// still has one (empty) data file, as DynamoDB writes one for an empty partition.
    pub fn finish(mut self, info: ExportSummaryInfo) -> Result<ExportResult> {
        self.close_data_file()?;
        if self.done.is_empty() {
            self.current = Some(self.open_data_file()?);
            self.close_data_file()?;
        }
        let prefix = info
            .s3_prefix
            .as_deref()
            .map(|p| p.trim_end_matches('/'))
            .filter(|p| !p.is_empty());
        let base = match prefix {
            Some(prefix) => format!("{prefix}/AWSDynamoDB/{}", self.export_id),
            None => format!("AWSDynamoDB/{}", self.export_id),
        };

        let files: Vec<ManifestFile> = self
            .done
            .iter()
            .map(|f| ManifestFile {
                item_count: f.items,
                md5_checksum: BASE64.encode(f.md5),
                etag: hex(&f.md5),
                data_file_s3_key: format!("{base}/data/{}", f.name),
            })
            .collect();
        let mut manifest_files = Vec::new();
        for file in &files {
            serde_json::to_writer(&mut manifest_files, file)
                .map_err(io::Error::from)
                .map_err(io_error(&self.dir))?;
            manifest_files.push(b'\n');
        }
        self.write_manifest("manifest-files", &manifest_files)?;

        let summary = ManifestSummary {
            version: "2020-06-30".into(),
            export_arn: info.export_arn,
            start_time: info.start_time,
            end_time: info.end_time,
            table_arn: info.table_arn,
            table_id: info.table_id,
            export_time: info.export_time,
            s3_bucket: info.s3_bucket,
            s3_prefix: info.s3_prefix,
            s3_sse_algorithm: info.s3_sse_algorithm,
            s3_sse_kms_key_id: info.s3_sse_kms_key_id,
            manifest_files_s3_key: format!("{base}/manifest-files.json"),
            billed_size_bytes: self.billed_size_bytes,
            item_count: self.item_count,
            output_format: self.format.as_str().into(),
            export_type: Some("FULL_EXPORT".into()),
        };
        let summary_json = serde_json::to_vec(&summary)
            .map_err(io::Error::from)
            .map_err(io_error(&self.dir))?;
        self.write_manifest("manifest-summary", &summary_json)?;

        Ok(ExportResult {
            item_count: self.item_count,
            billed_size_bytes: self.billed_size_bytes,
            file_bytes: self.done.iter().map(|f| f.bytes).sum(),
            manifest_summary_s3_key: format!("{base}/manifest-summary.json"),
            files,
        })
    }

    fn open_data_file(&self) -> Result<DataFile> {
        let name = format!("{}.{}", random_name()?, self.format.extension());
        let path = self.dir.join("data").join(&name);
        let file = File::create_new(&path).map_err(io_error(&path))?;
        let sink = Md5Writer {
            file: BufWriter::new(file),
            md5: Md5::new(),
            bytes: 0,
        };
        Ok(DataFile {
            name,
            path,
            gzip: GzEncoder::new(sink, flate2::Compression::default()),
            items: 0,
        })
    }

    fn close_data_file(&mut self) -> Result<()> {
        let Some(file) = self.current.take() else {
            return Ok(());
        };
        let path = file.path;
        let sink = file.gzip.finish().map_err(io_error(&path))?;
        let bytes = sink.bytes;
        let md5 = sink.md5.finalize().into();
        let disk = sink
            .file
            .into_inner()
            .map_err(|e| io_error(&path)(e.into_error()))?;
        disk.sync_all().map_err(io_error(&path))?;
        self.done.push(ClosedFile {
            name: file.name,
            items: file.items,
            md5,
            bytes,
        });
        Ok(())
    }

    /// `<name>.json`, then `<name>.checksum` holding its hex MD5.
    fn write_manifest(&self, name: &str, contents: &[u8]) -> Result<()> {
        let md5: [u8; 16] = Md5::digest(contents).into();
        for (path, bytes) in [
            (self.dir.join(format!("{name}.json")), contents),
            (
                self.dir.join(format!("{name}.checksum")),
                hex(&md5).as_bytes(),
            ),
        ] {
            let mut file = File::create(&path).map_err(io_error(&path))?;
            file.write_all(bytes).map_err(io_error(&path))?;
            file.sync_all().map_err(io_error(&path))?;
        }
        Ok(())
    }
}

/// 26 characters of the base32 alphabet (`a`–`z`, `2`–`7`), like DynamoDB's data file names.
fn random_name() -> Result<String> {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut bytes = [0u8; 26];
    getrandom::fill(&mut bytes).map_err(|e| io_error("data/")(io::Error::other(e.to_string())))?;
    // 256 is a multiple of 32: `% 32` keeps every character equally likely.
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[(b % 32) as usize] as char)
        .collect())
}

fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}
