//! ExportTableToPointInTime, DescribeExport, ListExports, ImportTable, DescribeImport,
//! ListImports, over a local directory that stands for S3 (`serve --export-root DIR`: the
//! bucket `B` is the folder `DIR/B`).
//!
//! An export needs point-in-time recovery, as DynamoDB's does: it materializes the table at
//! ExportTime (`pitr::materialize`, into a frozen copy of its own) and writes the copy in
//! DynamoDB's export layout (`ferrodyn_exchange::ExportWriter`) from a blocking thread; the
//! live table is never read, so writers never wait. An import creates the table (CREATING),
//! reads the files under the prefix on a blocking thread and writes the items through
//! `index.rs` in chunks, so its GSIs are built as items arrive; a bad line is counted in
//! ErrorCount and the import goes on, ending FAILED with `ItemValidationError` as DynamoDB's
//! does. Jobs are kept in the catalog (`"export/"`, `"import/"`); one interrupted by a stop
//! runs again at the next start (an import from an emptied table).

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferrodyn_exchange::{Compression, ExportFormat, InputFormat, KeyAttribute, KeyScalar};
use ferrodyn_storage::{Storage, WriteBatch};
use ferrodyn_types::{codec, item_size, Item};
use serde::{Deserialize, Serialize};

use crate::backup::{delete_copy, table_not_found, timestamped_id, Parts, RestoreSource};
use crate::catalog::{get_entry, load_entries, put_entry, random_id};
use crate::error::{BackupFault, EngineError, Result};
use crate::index::{stage_item_change, CollectionSizes};
use crate::schema::{ScalarType, TableMeta};
use crate::streams::iso_millis;
use crate::{keys, now_millis, Engine, TableSpec};

/// Items per data file of an export.
const ITEMS_PER_FILE: usize = 100_000;

/// A job's status: ExportStatus / ImportStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobStatus {
    /// IN_PROGRESS.
    InProgress,
    /// COMPLETED.
    Completed,
    /// FAILED.
    Failed,
}

impl JobStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::InProgress => "IN_PROGRESS",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
        }
    }
}

/// One export, as its catalog entry keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExportMeta {
    /// ExportArn.
    pub arn: String,
    /// ExportStatus.
    pub status: JobStatus,
    /// TableArn.
    pub table_arn: String,
    /// TableId.
    pub table_id: String,
    /// The table's internal id.
    pub table_internal_id: u64,
    /// The frozen copy ExportTime is materialized into (deleted when done).
    pub copy: u64,
    /// ExportTime, milliseconds.
    pub export_ms: u64,
    /// StartTime, seconds.
    pub start_time: f64,
    /// EndTime, seconds.
    pub end_time: Option<f64>,
    /// S3Bucket.
    pub bucket: String,
    /// S3Prefix.
    pub prefix: Option<String>,
    /// S3BucketOwner.
    pub bucket_owner: Option<String>,
    /// S3SseAlgorithm.
    pub sse_algorithm: Option<String>,
    /// ExportFormat: `ION` or `DYNAMODB_JSON`.
    pub format: String,
    /// ClientToken.
    pub client_token: Option<String>,
    /// ItemCount.
    pub item_count: u64,
    /// BilledSizeBytes.
    pub billed_size_bytes: u64,
    /// ExportManifest: the S3 key of manifest-summary.json.
    pub manifest: Option<String>,
    /// FailureCode.
    pub failure_code: Option<String>,
    /// FailureMessage.
    pub failure_message: Option<String>,
}

/// What ExportTableToPointInTime asks for, checked by `api`.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// TableArn.
    pub table_arn: String,
    /// ExportTime, seconds (`None`: now).
    pub export_time: Option<f64>,
    /// S3Bucket.
    pub bucket: String,
    /// S3Prefix.
    pub prefix: Option<String>,
    /// S3BucketOwner.
    pub bucket_owner: Option<String>,
    /// S3SseAlgorithm.
    pub sse_algorithm: Option<String>,
    /// ExportFormat.
    pub format: String,
    /// ClientToken.
    pub client_token: Option<String>,
}

/// One import, as its catalog entry keeps it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImportMeta {
    /// ImportArn.
    pub arn: String,
    /// ImportStatus.
    pub status: JobStatus,
    /// TableArn.
    pub table_arn: String,
    /// TableId.
    pub table_id: String,
    /// TableName.
    pub table_name: String,
    /// What ImportTable asked for (its fields stored alongside the others).
    #[serde(flatten)]
    pub request: ImportRequest,
    /// StartTime, seconds.
    pub start_time: f64,
    /// EndTime, seconds.
    pub end_time: Option<f64>,
    /// ProcessedSizeBytes.
    pub processed_size_bytes: u64,
    /// ProcessedItemCount.
    pub processed_item_count: u64,
    /// ImportedItemCount.
    pub imported_item_count: u64,
    /// ErrorCount.
    pub error_count: u64,
    /// FailureCode.
    pub failure_code: Option<String>,
    /// FailureMessage.
    pub failure_message: Option<String>,
}

/// What ImportTable asks for, checked by `api` (the table's definition separately).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ImportRequest {
    /// ClientToken.
    pub client_token: Option<String>,
    /// S3Bucket.
    pub bucket: String,
    /// S3KeyPrefix.
    pub key_prefix: Option<String>,
    /// S3BucketOwner.
    pub bucket_owner: Option<String>,
    /// InputFormat: DYNAMODB_JSON, ION or CSV.
    pub input_format: String,
    /// Csv Delimiter.
    pub csv_delimiter: Option<String>,
    /// Csv HeaderList.
    pub csv_header: Option<Vec<String>>,
    /// InputCompressionType: GZIP, ZSTD or NONE.
    pub compression: String,
    /// TableCreationParameters, JSON text.
    pub table_creation_parameters: String,
}

/// The folder of bucket `bucket` under the export root, refusing names that would leave it.
fn bucket_dir(root: Option<&Path>, bucket: &str) -> Result<PathBuf> {
    let root = root.ok_or_else(|| {
        EngineError::validation(
            "Invalid Request: exports and imports need the server's --export-root",
        )
    })?;
    if bucket.is_empty() || bucket.contains(['/', '\\']) || bucket == "." || bucket == ".." {
        return Err(EngineError::validation(format!(
            "Invalid Request: S3 bucket name is not valid: {bucket}"
        )));
    }
    Ok(root.join(bucket))
}

fn safe_prefix(prefix: &str) -> Result<&str> {
    if prefix.split('/').any(|p| p == "..") {
        return Err(EngineError::validation(format!(
            "Invalid Request: S3 prefix is not valid: {prefix}"
        )));
    }
    Ok(prefix.trim_matches('/'))
}

impl Engine {
    fn export_root(&self) -> Option<&Path> {
        self.config.export_root.as_deref()
    }

    /// ExportTableToPointInTime.
    pub async fn export_table(&self, request: ExportRequest) -> Result<ExportMeta> {
        let name = request
            .table_arn
            .split_once(":table/")
            .map(|(_, n)| n)
            .unwrap_or_default();
        let meta = self
            .table(name)
            .ok()
            .filter(|m| m.arn == request.table_arn)
            .ok_or_else(|| table_not_found(&request.table_arn))?;
        if meta.pitr.is_none() {
            return Err(BackupFault::PointInTimeRecoveryUnavailable.with(format!(
                "Point in time recovery is not enabled for table '{name}'"
            )));
        }
        let _ddl = self.ddl.lock().await;
        let exports: Vec<ExportMeta> =
            load_entries(self.storage.as_ref(), keys::export_catalog_range())?;
        if let Some(token) = &request.client_token {
            if let Some(previous) = exports
                .iter()
                .find(|e| e.client_token.as_ref() == Some(token))
            {
                let same = previous.table_arn == request.table_arn
                    && previous.bucket == request.bucket
                    && previous.prefix == request.prefix
                    && previous.format == request.format
                    && request
                        .export_time
                        .is_none_or(|t| (t * 1000.0) as u64 == previous.export_ms);
                if same {
                    return Ok(previous.clone());
                }
                return Err(BackupFault::ExportConflict.with(
                    "Export conflict: Duplicate request detected with conflicting parameters",
                ));
            }
        }
        let dir = bucket_dir(self.export_root(), &request.bucket)?;
        if let Some(p) = &request.prefix {
            safe_prefix(p)?;
        }
        let (earliest, latest) = self
            .pitr_window(meta.id)?
            .ok_or_else(|| BackupFault::InvalidExportTime.with("Export Time is invalid"))?;
        let export_ms = match request.export_time {
            None => latest,
            Some(t) => {
                let ms = (t * 1000.0).floor();
                if !ms.is_finite() || ms < earliest as f64 || ms > now_millis() as f64 {
                    return Err(BackupFault::InvalidExportTime.with("Export Time is invalid"));
                }
                (ms as u64).min(latest)
            }
        };
        let now = now_millis();
        let export = ExportMeta {
            arn: format!("{}/export/{}", meta.arn, timestamped_id(now, true)),
            status: JobStatus::InProgress,
            table_arn: meta.arn.clone(),
            table_id: meta.table_id.clone(),
            table_internal_id: meta.id,
            copy: random_id(),
            export_ms,
            start_time: now as f64 / 1000.0,
            end_time: None,
            bucket: request.bucket,
            prefix: request.prefix,
            bucket_owner: request.bucket_owner,
            sse_algorithm: request.sse_algorithm,
            format: request.format,
            client_token: request.client_token,
            item_count: 0,
            billed_size_bytes: 0,
            manifest: None,
            failure_code: None,
            failure_message: None,
        };
        put_entry(
            self.storage.as_ref(),
            keys::export_catalog_key(&export.arn),
            &export,
        )
        .await?;
        spawn_export(Arc::clone(&self.storage), dir, export.clone());
        tracing::info!(export = %export.arn, "export started");
        Ok(export)
    }

    /// DescribeExport.
    pub fn describe_export(&self, arn: &str) -> Result<ExportMeta> {
        get_entry(self.storage.get(&keys::export_catalog_key(arn))?)?.ok_or_else(|| {
            BackupFault::ExportNotFound.with(format!("Export not found: Export not found: {arn}"))
        })
    }

    /// ListExports: exports (of `table_arn` only, when given), newest first.
    pub fn list_exports(&self, table_arn: Option<&str>) -> Result<Vec<ExportMeta>> {
        let mut all: Vec<ExportMeta> =
            load_entries(self.storage.as_ref(), keys::export_catalog_range())?;
        all.retain(|e| table_arn.is_none_or(|t| e.table_arn == t));
        all.sort_by(|a, b| {
            b.start_time
                .total_cmp(&a.start_time)
                .then(b.arn.cmp(&a.arn))
        });
        Ok(all)
    }

    /// ImportTable: creates the table from `spec` (CREATING until the import ends) and starts
    /// reading the files.
    pub async fn import_table(
        &self,
        spec: TableSpec,
        request: ImportRequest,
    ) -> Result<ImportMeta> {
        let imports: Vec<ImportMeta> =
            load_entries(self.storage.as_ref(), keys::import_catalog_range())?;
        if let Some(token) = &request.client_token {
            if let Some(previous) = imports
                .iter()
                .find(|i| i.request.client_token.as_ref() == Some(token))
            {
                let same = previous.table_name == spec.name
                    && previous.request.bucket == request.bucket
                    && previous.request.key_prefix == request.key_prefix
                    && previous.request.input_format == request.input_format;
                if same {
                    return Ok(previous.clone());
                }
                return Err(BackupFault::ImportConflict.with(
                    "Import conflict: Duplicate request detected with conflicting parameters",
                ));
            }
        }
        let dir = bucket_dir(self.export_root(), &request.bucket)?;
        if let Some(p) = &request.key_prefix {
            safe_prefix(p)?;
        }
        if !dir.is_dir() {
            return Err(EngineError::validation(format!(
                "Invalid Request: S3 bucket does not exist: {}",
                request.bucket
            )));
        }
        // The table is CREATING, from its creation on, while the items come in.
        let meta = self
            .create_table_filled_by(spec, Some(RestoreSource::Import))
            .await?;
        let now = now_millis();
        let import = ImportMeta {
            arn: format!("{}/import/{}", meta.arn, timestamped_id(now, true)),
            status: JobStatus::InProgress,
            table_arn: meta.arn.clone(),
            table_id: meta.table_id.clone(),
            table_name: meta.name.clone(),
            request,
            start_time: now as f64 / 1000.0,
            end_time: None,
            processed_size_bytes: 0,
            processed_item_count: 0,
            imported_item_count: 0,
            error_count: 0,
            failure_code: None,
            failure_message: None,
        };
        put_entry(
            self.storage.as_ref(),
            keys::import_catalog_key(&import.arn),
            &import,
        )
        .await?;
        spawn_import(self.parts(), dir, meta, import.clone());
        tracing::info!(import = %import.arn, "import started");
        Ok(import)
    }

    /// DescribeImport.
    pub fn describe_import(&self, arn: &str) -> Result<ImportMeta> {
        get_entry(self.storage.get(&keys::import_catalog_key(arn))?)?
            .ok_or_else(|| BackupFault::ImportNotFound.with(format!("Import not found: {arn}")))
    }

    /// ListImports: imports (into `table_arn` only, when given), newest first.
    pub fn list_imports(&self, table_arn: Option<&str>) -> Result<Vec<ImportMeta>> {
        let mut all: Vec<ImportMeta> =
            load_entries(self.storage.as_ref(), keys::import_catalog_range())?;
        all.retain(|i| table_arn.is_none_or(|t| i.table_arn == t));
        all.sort_by(|a, b| {
            b.start_time
                .total_cmp(&a.start_time)
                .then(b.arn.cmp(&a.arn))
        });
        Ok(all)
    }

    /// At open: runs again the exports and imports a stop interrupted.
    pub(crate) fn resume_exports_and_imports(&self) -> Result<()> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Ok(());
        }
        for export in
            load_entries::<ExportMeta>(self.storage.as_ref(), keys::export_catalog_range())?
        {
            if export.status != JobStatus::InProgress {
                continue;
            }
            match bucket_dir(self.export_root(), &export.bucket) {
                Ok(dir) => spawn_export(Arc::clone(&self.storage), dir, export),
                Err(e) => tracing::error!(export = %export.arn, error = %e, "cannot resume export"),
            }
        }
        for import in
            load_entries::<ImportMeta>(self.storage.as_ref(), keys::import_catalog_range())?
        {
            if import.status != JobStatus::InProgress {
                continue;
            }
            let Some(meta) = self.table_definition(&import.table_name) else {
                continue;
            };
            let Ok(dir) = bucket_dir(self.export_root(), &import.request.bucket) else {
                continue;
            };
            // It starts over from an emptied table: so do its counts.
            let import = ImportMeta {
                processed_size_bytes: 0,
                processed_item_count: 0,
                imported_item_count: 0,
                error_count: 0,
                ..import
            };
            let parts = self.parts();
            tokio::spawn(async move {
                let mut batch = WriteBatch::new();
                crate::catalog::delete_table_data(&meta, &mut batch);
                if parts.storage.commit(batch).await.is_ok() {
                    spawn_import(parts, dir, meta, import);
                }
            });
        }
        Ok(())
    }
}

fn spawn_export(storage: Arc<dyn Storage>, bucket_dir: PathBuf, mut export: ExportMeta) {
    tokio::spawn(async move {
        let result = run_export(&storage, &bucket_dir, &export).await;
        let _ = delete_copy(storage.as_ref(), export.copy).await;
        export.end_time = Some(now_millis() as f64 / 1000.0);
        match result {
            Ok((items, bytes, manifest)) => {
                export.status = JobStatus::Completed;
                export.item_count = items;
                export.billed_size_bytes = bytes;
                export.manifest = Some(manifest);
                tracing::info!(export = %export.arn, items, "export completed");
            }
            Err(e) => {
                tracing::error!(export = %export.arn, error = %e, "export failed");
                export.status = JobStatus::Failed;
                export.failure_code = Some("UNKNOWN".into());
                export.failure_message = Some(e.to_string());
            }
        }
        if let Err(e) = put_entry(
            storage.as_ref(),
            keys::export_catalog_key(&export.arn),
            &export,
        )
        .await
        {
            tracing::error!(error = %e, "recording an export's end failed");
        }
    });
}

async fn run_export(
    storage: &Arc<dyn Storage>,
    bucket_dir: &Path,
    export: &ExportMeta,
) -> Result<(u64, u64, String)> {
    let copy = export.copy;
    // A run interrupted by a stop may have left part of the copy.
    delete_copy(storage.as_ref(), copy).await?;
    crate::pitr::materialize(
        storage.as_ref(),
        export.table_internal_id,
        export.export_ms,
        copy,
    )
    .await?;
    let export_id = export.arn.rsplit('/').next().unwrap_or_default().to_owned();
    let prefix = export
        .prefix
        .as_deref()
        .map(safe_prefix)
        .transpose()?
        .unwrap_or("");
    let dir = bucket_dir.join(prefix).join("AWSDynamoDB").join(&export_id);
    let format = if export.format == "ION" {
        ExportFormat::Ion
    } else {
        ExportFormat::DynamoDbJson
    };
    let mut info = ferrodyn_exchange::ExportSummaryInfo {
        export_arn: export.arn.clone(),
        start_time: iso_millis((export.start_time * 1000.0) as u64),
        end_time: String::new(),
        table_arn: export.table_arn.clone(),
        table_id: export.table_id.clone(),
        export_time: iso_millis(export.export_ms),
        s3_bucket: export.bucket.clone(),
        s3_prefix: export.prefix.clone(),
        s3_sse_algorithm: export.sse_algorithm.clone(),
        s3_sse_kms_key_id: None,
    };
    let storage = Arc::clone(storage);
    tokio::task::spawn_blocking(move || -> Result<(u64, u64, String)> {
        let io = |e: ferrodyn_exchange::Error| EngineError::Internal(format!("export: {e}"));
        // Data files of a run interrupted by a stop must not stay beside this run's.
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(EngineError::Internal(format!("export: {e}")))
            }
            _ => {}
        }
        let mut writer =
            ferrodyn_exchange::ExportWriter::create(&dir, format, ITEMS_PER_FILE).map_err(io)?;
        let (start, end) = keys::copy_range(copy);
        for entry in storage.snapshot().scan(&start, &end, false) {
            let (_, v) = entry?;
            writer.write_encoded(&v.value).map_err(io)?;
        }
        info.end_time = iso_millis(now_millis());
        let result = writer.finish(info).map_err(io)?;
        Ok((
            result.item_count,
            result.billed_size_bytes,
            result.manifest_summary_s3_key,
        ))
    })
    .await
    .map_err(|e| EngineError::Internal(format!("export task: {e}")))?
}

/// The key attributes an import checks: the table's (required) and its indexes' (typed when
/// present).
fn import_keys(meta: &TableMeta) -> Vec<KeyAttribute> {
    let scalar = |t: ScalarType| match t {
        ScalarType::S => KeyScalar::S,
        ScalarType::N => KeyScalar::N,
        ScalarType::B => KeyScalar::B,
    };
    let mut out: Vec<KeyAttribute> = meta
        .key_schema
        .attributes()
        .map(|a| KeyAttribute::table(a.name.clone(), scalar(a.ty)))
        .collect();
    for index in &meta.indexes {
        for a in index.key_schema.attributes() {
            if !out.iter().any(|k| k.name == a.name) {
                out.push(KeyAttribute::index(a.name.clone(), scalar(a.ty)));
            }
        }
    }
    out
}

/// What the reading thread sends: a chunk of items, or a bad line.
enum Read {
    Items(Vec<Item>, u64),
    Bad,
}

fn spawn_import(parts: Parts, bucket_dir: PathBuf, meta: Arc<TableMeta>, mut import: ImportMeta) {
    tokio::spawn(async move {
        let result = run_import(&parts, &bucket_dir, &meta, &mut import).await;
        import.end_time = Some(now_millis() as f64 / 1000.0);
        match result {
            Ok(()) if import.error_count == 0 => import.status = JobStatus::Completed,
            Ok(()) => {
                import.status = JobStatus::Failed;
                import.failure_code = Some("ItemValidationError".into());
                import.failure_message = Some("Some of the items failed validation checks and were not imported. Please check CloudWatch error logs for more details.".into());
            }
            Err(e) => {
                tracing::error!(import = %import.arn, error = %e, "import failed");
                import.status = JobStatus::Failed;
                import.failure_code = Some("UNKNOWN".into());
                import.failure_message = Some(e.to_string());
            }
        }
        // The table is ACTIVE with what was imported, as DynamoDB leaves it.
        if let Err(e) = parts.finish_restore(&meta.name).await {
            tracing::error!(error = %e, "activating an imported table failed");
        }
        if let Err(e) = put_entry(
            parts.storage.as_ref(),
            keys::import_catalog_key(&import.arn),
            &import,
        )
        .await
        {
            tracing::error!(error = %e, "recording an import's end failed");
        }
        tracing::info!(import = %import.arn, items = import.imported_item_count, errors = import.error_count, "import ended");
    });
}

async fn run_import(
    parts: &Parts,
    bucket_dir: &Path,
    meta: &TableMeta,
    import: &mut ImportMeta,
) -> Result<()> {
    let format = match import.request.input_format.as_str() {
        "CSV" => InputFormat::Csv {
            delimiter: import
                .request
                .csv_delimiter
                .as_deref()
                .and_then(|d| d.bytes().next())
                .unwrap_or(b','),
            header: import.request.csv_header.clone(),
        },
        "ION" => InputFormat::Ion,
        _ => InputFormat::DynamoDbJson,
    };
    let compression = match import.request.compression.as_str() {
        "GZIP" => Compression::Gzip,
        "ZSTD" => Compression::Zstd,
        _ => Compression::None,
    };
    let keys = import_keys(meta);
    let prefix = import.request.key_prefix.clone().unwrap_or_default();
    let dir = bucket_dir.to_path_buf();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Read>(4);
    let reader = tokio::task::spawn_blocking(move || -> Result<()> {
        let io = |e: ferrodyn_exchange::Error| EngineError::Internal(format!("import: {e}"));
        let files = ferrodyn_exchange::import_files(&dir, &prefix).map_err(io)?;
        let mut chunk = Vec::with_capacity(crate::backup::CHUNK_ITEMS);
        let mut bytes = 0;
        for file in files {
            for line in
                ferrodyn_exchange::read_items(&file, &format, compression, &keys).map_err(io)?
            {
                match line {
                    Ok(item) => {
                        bytes += item_size(&item) as u64;
                        chunk.push(item);
                        if chunk.len() == crate::backup::CHUNK_ITEMS {
                            let full = std::mem::replace(
                                &mut chunk,
                                Vec::with_capacity(crate::backup::CHUNK_ITEMS),
                            );
                            if tx
                                .blocking_send(Read::Items(full, std::mem::take(&mut bytes)))
                                .is_err()
                            {
                                return Ok(());
                            }
                        }
                    }
                    Err(e) => {
                        tracing::warn!(file = %file.display(), error = %e, "import: bad line");
                        if tx.blocking_send(Read::Bad).is_err() {
                            return Ok(());
                        }
                    }
                }
            }
        }
        if !chunk.is_empty() {
            let _ = tx.blocking_send(Read::Items(chunk, bytes));
        }
        Ok(())
    });
    while let Some(read) = rx.recv().await {
        let (items, bytes) = match read {
            Read::Bad => {
                import.processed_item_count += 1;
                import.error_count += 1;
                continue;
            }
            Read::Items(items, bytes) => (items, bytes),
        };
        import.processed_size_bytes += bytes;
        let mut batch = WriteBatch::new();
        let mut sizes = CollectionSizes::default();
        let mut in_batch = HashSet::new();
        for item in items {
            import.processed_item_count += 1;
            let Ok(key) = crate::items::checked_put_key(meta, &item) else {
                import.error_count += 1;
                continue;
            };
            // A later line with the same key replaces the earlier one: what came before in
            // this chunk is committed first.
            if !in_batch.insert(key.clone()) {
                parts.storage.commit(std::mem::take(&mut batch)).await?;
                in_batch.clear();
                in_batch.insert(key.clone());
            }
            let current = parts.storage.get(&key)?;
            let old = current
                .as_ref()
                .map(|v| codec::decode_item(&v.value))
                .transpose()?;
            if old.is_none() {
                import.imported_item_count += 1;
            }
            let mut staged = WriteBatch::new();
            stage_item_change(
                meta,
                &key,
                current.map(|v| v.version),
                old.as_ref(),
                Some(&item),
                &mut staged,
            );
            sizes.record(meta, old.as_ref(), Some(&item));
            batch.mutations.extend(staged.mutations);
            batch.preconditions.extend(staged.preconditions);
        }
        sizes.stage(parts.storage.as_ref(), u64::MAX, &mut batch)?;
        // The progress DescribeImport shows, with the chunk.
        batch.put(
            keys::import_catalog_key(&import.arn),
            serde_json::to_vec(&*import).expect("ImportMeta serializes"),
        );
        parts.storage.commit(batch).await?;
    }
    reader
        .await
        .map_err(|e| EngineError::Internal(format!("import task: {e}")))??;
    Ok(())
}
