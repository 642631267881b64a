//! ExportTableToPointInTime, DescribeExport, ListExports, ImportTable, DescribeImport,
//! ListImports (the engine's `export.rs` does the work; S3 is a folder under the server's
//! `--export-root`).

use ferrodyn_engine::{Engine, ExportMeta, ExportRequest, ImportMeta, ImportRequest};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::backups::required_sub_arn;
use crate::error::ApiError;
use crate::tables::{table_spec, CreateTableInput};
use crate::validate::Violations;
use crate::{parse, to_body};

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportInput {
    table_arn: Option<String>,
    export_time: Option<f64>,
    client_token: Option<String>,
    s3_bucket: Option<String>,
    s3_bucket_owner: Option<String>,
    s3_prefix: Option<String>,
    s3_sse_algorithm: Option<String>,
    s3_sse_kms_key_id: Option<String>,
    export_format: Option<String>,
    export_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportArnInput {
    export_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListExportsInput {
    table_arn: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportInput {
    client_token: Option<String>,
    s3_bucket_source: Option<S3BucketSource>,
    input_format: Option<String>,
    input_format_options: Option<InputFormatOptions>,
    input_compression_type: Option<String>,
    table_creation_parameters: Option<Value>,
}

#[derive(Deserialize, Serialize, Clone)]
#[serde(rename_all = "PascalCase")]
struct S3BucketSource {
    #[serde(skip_serializing_if = "Option::is_none")]
    s3_bucket_owner: Option<String>,
    s3_bucket: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    s3_key_prefix: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct InputFormatOptions {
    csv: Option<CsvOptions>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CsvOptions {
    delimiter: Option<String>,
    header_list: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportArnInput {
    import_arn: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListImportsInput {
    table_arn: Option<String>,
    page_size: Option<i64>,
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExportDescription {
    export_arn: String,
    export_status: &'static str,
    start_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    export_manifest: Option<String>,
    table_arn: String,
    table_id: String,
    export_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_token: Option<String>,
    s3_bucket: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    s3_bucket_owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    s3_prefix: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    s3_sse_algorithm: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_message: Option<String>,
    export_format: String,
    billed_size_bytes: u64,
    item_count: u64,
    export_type: &'static str,
}

fn export_description(e: &ExportMeta) -> ExportDescription {
    ExportDescription {
        export_arn: e.arn.clone(),
        export_status: e.status.as_str(),
        start_time: e.start_time,
        end_time: e.end_time,
        export_manifest: e.manifest.clone(),
        table_arn: e.table_arn.clone(),
        table_id: e.table_id.clone(),
        export_time: e.export_ms as f64 / 1000.0,
        client_token: e.client_token.clone(),
        s3_bucket: e.bucket.clone(),
        s3_bucket_owner: e.bucket_owner.clone(),
        s3_prefix: e.prefix.clone(),
        s3_sse_algorithm: e.sse_algorithm.clone(),
        failure_code: e.failure_code.clone(),
        failure_message: e.failure_message.clone(),
        export_format: e.format.clone(),
        billed_size_bytes: e.billed_size_bytes,
        item_count: e.item_count,
        export_type: "FULL_EXPORT",
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ExportDescriptionOutput {
    export_description: ExportDescription,
}

pub async fn export_table_to_point_in_time(
    engine: &Engine,
    body: &[u8],
) -> Result<Vec<u8>, ApiError> {
    let input: ExportInput = parse(body)?;
    let mut v = Violations::new();
    match &input.table_arn {
        None => v.require(&input.table_arn, "tableArn"),
        Some(a) => v.length(a, "tableArn", 1, 1024),
    }
    match &input.s3_bucket {
        None => v.require(&input.s3_bucket, "s3Bucket"),
        Some(b) => v.length(b, "s3Bucket", 0, 255),
    }
    if let Some(p) = &input.s3_prefix {
        v.length(p, "s3Prefix", 0, 1024);
    }
    if let Some(a) = &input.s3_sse_algorithm {
        v.one_of(a, "s3SseAlgorithm", &["AES256", "KMS"]);
    }
    if let Some(f) = &input.export_format {
        v.one_of(f, "exportFormat", &["DYNAMODB_JSON", "ION"]);
    }
    if let Some(t) = &input.export_type {
        v.one_of(t, "exportType", &["FULL_EXPORT", "INCREMENTAL_EXPORT"]);
    }
    v.finish()?;
    let table_arn = input.table_arn.expect("checked");
    if !table_arn.starts_with("arn:") || !table_arn.contains(":table/") {
        return Err(ApiError::validation(
            "One or more parameter values were invalid: tableArn is not a valid ARN",
        ));
    }
    if input.export_type.as_deref() == Some("INCREMENTAL_EXPORT") {
        return Err(ApiError::validation(
            "Invalid Request: incremental exports are not supported by ferrodyn",
        ));
    }
    if input.s3_sse_kms_key_id.is_some() && input.s3_sse_algorithm.as_deref() != Some("KMS") {
        return Err(ApiError::validation(
            "Invalid Request: KMS Key Id is not supported for this encryption type",
        ));
    }
    let export = engine
        .export_table(ExportRequest {
            table_arn,
            export_time: input.export_time,
            bucket: input.s3_bucket.expect("checked"),
            prefix: input.s3_prefix,
            bucket_owner: input.s3_bucket_owner,
            sse_algorithm: input.s3_sse_algorithm,
            format: input
                .export_format
                .unwrap_or_else(|| "DYNAMODB_JSON".into()),
            client_token: input.client_token,
        })
        .await?;
    to_body(&ExportDescriptionOutput {
        export_description: export_description(&export),
    })
}

pub fn describe_export(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ExportArnInput = parse(body)?;
    let arn = required_sub_arn(&input.export_arn, "exportArn", "export")?;
    let export = engine.describe_export(&arn)?;
    to_body(&ExportDescriptionOutput {
        export_description: export_description(&export),
    })
}

/// A page of `all` after the job whose ARN is hex-encoded in `token`.
fn page<T>(
    all: Vec<T>,
    arn: impl Fn(&T) -> &str,
    token: Option<&str>,
    size: usize,
) -> Result<(Vec<T>, Option<String>), ApiError> {
    let mut rest = all;
    if let Some(token) = token {
        let after = hex::decode(token)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                ApiError::validation(format!(
                    "Invalid Request: Provided nextToken is invalid: {token}"
                ))
            })?;
        if let Some(at) = rest.iter().position(|j| arn(j) == after) {
            rest.drain(..=at);
        }
    }
    let more = rest.len() > size;
    rest.truncate(size);
    let next = more
        .then(|| rest.last().map(|j| hex::encode(arn(j))))
        .flatten();
    Ok((rest, next))
}

pub fn list_exports(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ListExportsInput = parse(body)?;
    let mut v = Violations::new();
    if let Some(m) = input.max_results {
        v.at_least(m, "maxResults", 1);
        v.at_most(m, "maxResults", 25);
    }
    v.finish()?;
    let all = engine.list_exports(input.table_arn.as_deref())?;
    let (exports, next) = page(
        all,
        |e| &e.arn,
        input.next_token.as_deref(),
        input.max_results.unwrap_or(25) as usize,
    )?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Summary {
        export_arn: String,
        export_status: &'static str,
        export_type: &'static str,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        export_summaries: Vec<Summary>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_token: Option<String>,
    }
    to_body(&Out {
        export_summaries: exports
            .iter()
            .map(|e| Summary {
                export_arn: e.arn.clone(),
                export_status: e.status.as_str(),
                export_type: "FULL_EXPORT",
            })
            .collect(),
        next_token: next,
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImportTableDescription {
    import_arn: String,
    import_status: &'static str,
    table_arn: String,
    table_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_token: Option<String>,
    s3_bucket_source: S3BucketSource,
    error_count: u64,
    cloud_watch_log_group_arn: String,
    input_format: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    input_format_options: Option<Value>,
    input_compression_type: String,
    table_creation_parameters: Value,
    start_time: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    end_time: Option<f64>,
    processed_size_bytes: u64,
    processed_item_count: u64,
    imported_item_count: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failure_message: Option<String>,
}

fn log_group(engine: &Engine) -> String {
    let c = engine.config();
    format!(
        "arn:aws:logs:{}:{}:log-group:/aws-dynamodb/imports:*",
        c.region, c.account_id
    )
}

fn source_of(i: &ImportMeta) -> S3BucketSource {
    S3BucketSource {
        s3_bucket_owner: i.request.bucket_owner.clone(),
        s3_bucket: Some(i.request.bucket.clone()),
        s3_key_prefix: i.request.key_prefix.clone(),
    }
}

fn import_description(engine: &Engine, i: &ImportMeta) -> ImportTableDescription {
    let options = (i.request.input_format == "CSV"
        && (i.request.csv_delimiter.is_some() || i.request.csv_header.is_some()))
    .then(|| {
        let mut csv = serde_json::Map::new();
        if let Some(d) = &i.request.csv_delimiter {
            csv.insert("Delimiter".into(), Value::String(d.clone()));
        }
        if let Some(h) = &i.request.csv_header {
            csv.insert("HeaderList".into(), serde_json::json!(h));
        }
        serde_json::json!({ "Csv": csv })
    });
    ImportTableDescription {
        import_arn: i.arn.clone(),
        import_status: i.status.as_str(),
        table_arn: i.table_arn.clone(),
        table_id: i.table_id.clone(),
        client_token: i.request.client_token.clone(),
        s3_bucket_source: source_of(i),
        error_count: i.error_count,
        cloud_watch_log_group_arn: log_group(engine),
        input_format: i.request.input_format.clone(),
        input_format_options: options,
        input_compression_type: i.request.compression.clone(),
        table_creation_parameters: serde_json::from_str(&i.request.table_creation_parameters)
            .unwrap_or(Value::Null),
        start_time: i.start_time,
        end_time: i.end_time,
        processed_size_bytes: i.processed_size_bytes,
        processed_item_count: i.processed_item_count,
        imported_item_count: i.imported_item_count,
        failure_code: i.failure_code.clone(),
        failure_message: i.failure_message.clone(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct ImportTableOutput {
    import_table_description: ImportTableDescription,
}

pub async fn import_table(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ImportInput = parse(body)?;
    let mut v = Violations::new();
    match &input.s3_bucket_source {
        None => v.require(&input.s3_bucket_source, "s3BucketSource"),
        Some(s) => match &s.s3_bucket {
            None => v.require(&s.s3_bucket, "s3BucketSource.s3Bucket"),
            Some(b) => v.length(b, "s3BucketSource.s3Bucket", 0, 255),
        },
    }
    match &input.input_format {
        None => v.require(&input.input_format, "inputFormat"),
        Some(f) => v.one_of(f, "inputFormat", &["DYNAMODB_JSON", "ION", "CSV"]),
    }
    if let Some(c) = &input.input_compression_type {
        v.one_of(c, "inputCompressionType", &["GZIP", "ZSTD", "NONE"]);
    }
    v.require(&input.table_creation_parameters, "tableCreationParameters");
    if let Some(csv) = input
        .input_format_options
        .as_ref()
        .and_then(|o| o.csv.as_ref())
    {
        if let Some(d) = &csv.delimiter {
            v.length(d, "inputFormatOptions.csv.delimiter", 1, 1);
            if d.chars().count() == 1 && !matches!(d.as_str(), "," | ";" | ":" | "|" | "\t" | " ") {
                v.push(
                    crate::validate::quoted(d),
                    "inputFormatOptions.csv.delimiter",
                    "Member must satisfy regular expression pattern: [,;:|\\t ]",
                );
            }
        }
    }
    v.finish()?;
    let format = input.input_format.expect("checked");
    let csv = input.input_format_options.and_then(|o| o.csv);
    if csv.is_some() && format != "CSV" {
        return Err(ApiError::validation(format!(
            "Invalid Request: Unsupported InputFormatOptions for the given input format: {format}."
        )));
    }
    if format == "ION" {
        return Err(ApiError::validation(
            "Invalid Request: ION imports are not supported by ferrodyn",
        ));
    }
    let parameters = input.table_creation_parameters.expect("checked");
    let create: CreateTableInput = serde_json::from_value(parameters.clone())
        .map_err(|e| ApiError::serialization(e.to_string()))?;
    let spec = table_spec(engine, create)?;
    let source = input.s3_bucket_source.expect("checked");
    let import = engine
        .import_table(
            spec,
            ImportRequest {
                client_token: input.client_token,
                bucket: source.s3_bucket.clone().expect("checked"),
                key_prefix: source.s3_key_prefix.clone(),
                bucket_owner: source.s3_bucket_owner.clone(),
                input_format: format,
                csv_delimiter: csv.as_ref().and_then(|c| c.delimiter.clone()),
                csv_header: csv.and_then(|c| c.header_list),
                compression: input
                    .input_compression_type
                    .unwrap_or_else(|| "NONE".into()),
                table_creation_parameters: parameters.to_string(),
            },
        )
        .await?;
    to_body(&ImportTableOutput {
        import_table_description: import_description(engine, &import),
    })
}

pub fn describe_import(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ImportArnInput = parse(body)?;
    let arn = required_sub_arn(&input.import_arn, "importArn", "import")?;
    let import = engine.describe_import(&arn)?;
    to_body(&ImportTableOutput {
        import_table_description: import_description(engine, &import),
    })
}

pub fn list_imports(engine: &Engine, body: &[u8]) -> Result<Vec<u8>, ApiError> {
    let input: ListImportsInput = parse(body)?;
    let mut v = Violations::new();
    if let Some(m) = input.page_size {
        v.at_least(m, "pageSize", 1);
        v.at_most(m, "pageSize", 25);
    }
    v.finish()?;
    let all = engine.list_imports(input.table_arn.as_deref())?;
    let (imports, next) = page(
        all,
        |i| &i.arn,
        input.next_token.as_deref(),
        input.page_size.unwrap_or(25) as usize,
    )?;
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Summary {
        import_arn: String,
        import_status: &'static str,
        table_arn: String,
        s3_bucket_source: S3BucketSource,
        cloud_watch_log_group_arn: String,
        input_format: String,
        start_time: f64,
        #[serde(skip_serializing_if = "Option::is_none")]
        end_time: Option<f64>,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Out {
        import_summary_list: Vec<Summary>,
        #[serde(skip_serializing_if = "Option::is_none")]
        next_token: Option<String>,
    }
    to_body(&Out {
        import_summary_list: imports
            .iter()
            .map(|i| Summary {
                import_arn: i.arn.clone(),
                import_status: i.status.as_str(),
                table_arn: i.table_arn.clone(),
                s3_bucket_source: source_of(i),
                cloud_watch_log_group_arn: log_group(engine),
                input_format: i.request.input_format.clone(),
                start_time: i.start_time,
                end_time: i.end_time,
            })
            .collect(),
        next_token: next,
    })
}
