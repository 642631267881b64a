//! `ferrodyn backup create|list|restore|restore-pitr`, `ferrodyn export` and `ferrodyn import`:
//! DynamoDB's backup, point-in-time restore, export and import operations against a running
//! endpoint (ferrodyn or any other), waiting for the server-side work with a spinner or a
//! progress bar and printing a summary at the end.
//!
//! Requests go through [`crate::client`], signed as `ferrodyn usage` signs them. Progress is
//! drawn on stderr, and only when it is a terminal; summaries go to stdout. An error answer
//! prints its `__type` short name and message, and the command exits 1.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ferrodyn_types::calendar::{civil_of_seconds, days_from_civil, days_in_month};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Map, Value};

use crate::client::{CallError, DynamoDb};

/// Where to send the requests, how to sign them and how to wait.
#[derive(clap::Args)]
pub struct Target {
    /// The server's endpoint (http only).
    #[arg(long, default_value = "http://127.0.0.1:8000", help_heading = "Target")]
    endpoint: String,
    /// Seconds between two status checks while waiting.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0.5,
        help_heading = "Target"
    )]
    poll_interval: f64,
    /// Give up waiting after this many seconds (exit 1; the work goes on on the server).
    /// 0: wait as long as it takes.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0.0,
        help_heading = "Target"
    )]
    wait_timeout: f64,
    #[command(flatten)]
    signing: ferrodyn_bench::SigningArgs,
}

/// `ferrodyn backup`.
#[derive(clap::Args)]
pub struct BackupArgs {
    #[command(subcommand)]
    command: BackupCommand,
}

#[derive(clap::Subcommand)]
enum BackupCommand {
    /// Take an on-demand backup of a table (CreateBackup) and wait until it is AVAILABLE.
    Create(CreateArgs),
    /// List backups (ListBackups, every page).
    List(ListArgs),
    /// Restore a backup into a new table (RestoreTableFromBackup) and wait until it is
    /// ACTIVE.
    Restore(RestoreArgs),
    /// Restore a table as it was at a point in time into a new table
    /// (RestoreTableToPointInTime) and wait until it is ACTIVE.
    RestorePitr(RestorePitrArgs),
}

#[derive(clap::Args)]
struct CreateArgs {
    /// The table to back up.
    #[arg(long, value_name = "TABLE")]
    table: String,
    /// The backup's name (default: TABLE-YYYYMMDD-HHMMSS, in UTC).
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    #[command(flatten)]
    target: Target,
}

#[derive(clap::Args)]
struct ListArgs {
    /// Only the backups of this table (name or ARN).
    #[arg(long, value_name = "TABLE")]
    table: Option<String>,
    /// Which backups (the server's default: USER).
    #[arg(long = "type", value_name = "TYPE", ignore_case = true,
          value_parser = ["USER", "SYSTEM", "AWS_BACKUP", "ALL"])]
    backup_type: Option<String>,
    /// Backups asked for per ListBackups request (Limit); every page is listed.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    page_size: Option<u32>,
    /// Print the BackupSummaries as a JSON array instead of a table.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    target: Target,
}

#[derive(clap::Args)]
struct RestoreArgs {
    /// The ARN of the backup to restore.
    #[arg(long, value_name = "ARN")]
    backup_arn: String,
    /// The name of the new table.
    #[arg(long, value_name = "TABLE")]
    target: String,
    #[command(flatten)]
    endpoint: Target,
}

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("when").required(true).args(["time", "latest"])))]
struct RestorePitrArgs {
    /// The table to restore (name, or ARN, also of a deleted table).
    #[arg(long, value_name = "TABLE")]
    source: String,
    /// The name of the new table.
    #[arg(long, value_name = "TABLE")]
    target: String,
    /// The point in time: RFC 3339 (2026-01-31T12:00:00Z) or seconds since the epoch.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    time: Option<f64>,
    /// The latest restorable time (UseLatestRestorableTime).
    #[arg(long)]
    latest: bool,
    #[command(flatten)]
    endpoint: Target,
}

/// `ferrodyn export`.
#[derive(clap::Args)]
pub struct ExportArgs {
    /// The table to export (its point-in-time recovery must be on).
    #[arg(long, value_name = "TABLE")]
    table: String,
    /// S3Bucket: on ferrodyn, a folder under the server's --export-root.
    #[arg(long, value_name = "BUCKET")]
    bucket: String,
    /// S3Prefix: the folder inside the bucket.
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
    /// ExportFormat (the server's default: DYNAMODB_JSON).
    #[arg(long, value_name = "FORMAT", ignore_case = true,
          value_parser = ["DYNAMODB_JSON", "ION"])]
    format: Option<String>,
    /// ExportTime: RFC 3339 or seconds since the epoch (default: now).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    time: Option<f64>,
    #[command(flatten)]
    target: Target,
}

/// `ferrodyn import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// The new table to create and fill.
    #[arg(long, value_name = "TABLE")]
    table: String,
    /// S3Bucket: on ferrodyn, a folder under the server's --export-root.
    #[arg(long, value_name = "BUCKET")]
    bucket: String,
    /// S3KeyPrefix: only the objects under it (an export's data/ folder, say).
    #[arg(long, value_name = "PREFIX")]
    prefix: Option<String>,
    /// InputFormat.
    #[arg(long, value_name = "FORMAT", ignore_case = true,
          value_parser = ["DYNAMODB_JSON", "CSV", "ION"])]
    format: String,
    /// InputCompressionType (the server's default: NONE).
    #[arg(long, value_name = "COMPRESSION", ignore_case = true,
          value_parser = ["GZIP", "ZSTD", "NONE"])]
    compression: Option<String>,
    /// A key attribute NAME:TYPE (TYPE S, N or B): the first is the partition key, a second
    /// the sort key.
    #[arg(long = "key", value_name = "NAME:TYPE", required = true, num_args = 1,
          value_parser = parse_attribute)]
    keys: Vec<(String, String)>,
    /// A global secondary index NAME:PK:TYPE[:SK:TYPE], projecting all attributes; repeat for
    /// more.
    #[arg(long = "gsi", value_name = "NAME:PK:TYPE[:SK:TYPE]", value_parser = parse_gsi)]
    gsis: Vec<Gsi>,
    /// CSV: the field delimiter (default ",").
    #[arg(long, value_name = "CHAR")]
    csv_delimiter: Option<String>,
    /// CSV: the column names, when the files have no header line (comma-separated).
    #[arg(long, value_name = "A,B,...", value_delimiter = ',')]
    csv_header: Vec<String>,
    #[command(flatten)]
    target: Target,
}

/// A `--gsi`.
#[derive(Clone, Debug)]
struct Gsi {
    name: String,
    keys: Vec<(String, String)>,
}

/// A failed command: what to print (after the command's name) before exiting 1.
struct Failure(String);

impl From<CallError> for Failure {
    fn from(e: CallError) -> Self {
        Failure(e.to_string())
    }
}

impl From<String> for Failure {
    fn from(e: String) -> Self {
        Failure(e)
    }
}

fn finish(command: &str, result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(e)) => {
            eprintln!("ferrodyn {command}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs `ferrodyn backup ...`.
pub fn run_backup(args: BackupArgs) -> ExitCode {
    match args.command {
        BackupCommand::Create(a) => finish("backup create", create(a)),
        BackupCommand::List(a) => finish("backup list", list(a)),
        BackupCommand::Restore(a) => finish("backup restore", restore(a)),
        BackupCommand::RestorePitr(a) => finish("backup restore-pitr", restore_pitr(a)),
    }
}

/// Runs `ferrodyn export`.
pub fn run_export(args: ExportArgs) -> ExitCode {
    finish("export", export(args))
}

/// Runs `ferrodyn import`.
pub fn run_import(args: ImportArgs) -> ExitCode {
    finish("import", import(args))
}

/// The client of a command and its way of waiting.
struct Session {
    db: DynamoDb,
    interval: Duration,
    deadline: Option<Instant>,
}

impl Session {
    fn new(target: &Target) -> Result<Session, Failure> {
        let interval = Duration::try_from_secs_f64(target.poll_interval)
            .map_err(|e| format!("invalid --poll-interval: {e}"))?;
        let wait = Duration::try_from_secs_f64(target.wait_timeout)
            .map_err(|e| format!("invalid --wait-timeout: {e}"))?;
        Ok(Session {
            db: DynamoDb::new(&target.endpoint, &target.signing),
            interval,
            deadline: (!wait.is_zero()).then(|| Instant::now() + wait),
        })
    }

    fn call(&self, op: &str, input: Value) -> Result<Value, Failure> {
        Ok(self.db.call(op, &input)?)
    }

    /// Calls `op` with `input` until `step` finds the answer final (`Ok(true)`), pausing
    /// between calls; clears `bar` however it ends.
    fn poll(
        &self,
        bar: &ProgressBar,
        what: &str,
        op: &str,
        input: &Value,
        mut step: impl FnMut(&Value) -> Result<bool, Failure>,
    ) -> Result<Value, Failure> {
        let result = (|| loop {
            let answer = self.call(op, input.clone())?;
            if step(&answer)? {
                return Ok(answer);
            }
            self.pause(what)?;
        })();
        bar.finish_and_clear();
        result
    }

    /// Sleeps until the next status check; fails once the wait timeout has passed.
    fn pause(&self, what: &str) -> Result<(), Failure> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(Failure(format!(
                "gave up waiting for {what} (--wait-timeout); it goes on on the server"
            )));
        }
        std::thread::sleep(self.interval);
        Ok(())
    }
}

fn spinner(message: String) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .expect("template")
            .tick_strings(&["-", "\\", "|", "/", " "]),
    );
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// A bar of items towards `total`; a spinner counting items when the total is unknown.
fn items_bar(message: String, total: Option<u64>) -> ProgressBar {
    let bar = match total {
        Some(total) => {
            let bar = ProgressBar::new(total);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:40}] {pos}/{len} items ({per_sec}, {elapsed}, ETA {eta})",
                )
                .expect("template")
                .progress_chars("=> ")
                .tick_strings(&["-", "\\", "|", "/", " "]),
            );
            bar
        }
        None => {
            let bar = ProgressBar::new_spinner();
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} {pos} items ({per_sec}, {elapsed})")
                    .expect("template")
                    .tick_strings(&["-", "\\", "|", "/", " "]),
            );
            bar
        }
    };
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}

/// The member at `path` in an answer.
fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path)?.as_str()
}

fn u64_at(v: &Value, path: &[&str]) -> Option<u64> {
    let v = at(v, path)?;
    v.as_u64().or_else(|| v.as_f64().map(|f| f as u64))
}

fn f64_at(v: &Value, path: &[&str]) -> Option<f64> {
    at(v, path)?.as_f64()
}

fn unexpected(op: &str, missing: &str) -> Failure {
    Failure(format!("unexpected {op} answer: no {missing}"))
}

// ---- backup create -------------------------------------------------------------------------

fn default_backup_name(table: &str, now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (date, time) = civil_of_seconds(secs as i64);
    let stamp = format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        date.0, date.1, date.2, time.0, time.1, time.2
    );
    // BackupName is at most 255 characters of [a-zA-Z0-9_.-], as table names are.
    let keep = 255 - stamp.len() - 1;
    let table = &table[..table.len().min(keep)];
    format!("{table}-{stamp}")
}

fn create(args: CreateArgs) -> Result<(), Failure> {
    let session = Session::new(&args.target)?;
    let name = args
        .name
        .unwrap_or_else(|| default_backup_name(&args.table, SystemTime::now()));
    let started = Instant::now();
    let created = session.call(
        "CreateBackup",
        json!({"TableName": args.table, "BackupName": name}),
    )?;
    let arn = str_at(&created, &["BackupDetails", "BackupArn"])
        .ok_or_else(|| unexpected("CreateBackup", "BackupDetails.BackupArn"))?
        .to_owned();
    let bar = spinner(format!("backup {name} of {}: CREATING", args.table));
    let description = session.poll(
        &bar,
        "the backup",
        "DescribeBackup",
        &json!({"BackupArn": arn}),
        |d| match str_at(d, &["BackupDescription", "BackupDetails", "BackupStatus"]) {
            Some("AVAILABLE") => Ok(true),
            Some("CREATING") => Ok(false),
            other => Err(Failure(format!(
                "backup {arn} is {}",
                other.unwrap_or_default()
            ))),
        },
    )?;
    let details = &description["BackupDescription"]["BackupDetails"];
    let source = &description["BackupDescription"]["SourceTableDetails"];
    let size = u64_at(details, &["BackupSizeBytes"]).unwrap_or(0);
    println!(
        "Backup AVAILABLE in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    print_fields(&[
        ("ARN", arn.clone()),
        (
            "Name",
            str_at(details, &["BackupName"]).unwrap_or(&name).to_owned(),
        ),
        (
            "Table",
            str_at(source, &["TableName"])
                .unwrap_or(&args.table)
                .to_owned(),
        ),
        (
            "Items",
            u64_at(source, &["ItemCount"]).unwrap_or(0).to_string(),
        ),
        ("Size", bytes_text(size)),
    ]);
    Ok(())
}

fn print_fields(fields: &[(&str, String)]) {
    let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in fields {
        println!("  {k:<width$}  {v}");
    }
}

/// `1234 bytes (1.2 KiB)`.
fn bytes_text(bytes: u64) -> String {
    let units = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64;
    let mut unit = "";
    for u in units {
        value /= 1024.0;
        unit = u;
        if value < 1024.0 {
            break;
        }
    }
    format!("{bytes} bytes ({value:.1} {unit})")
}

// ---- backup list ---------------------------------------------------------------------------

fn list(args: ListArgs) -> Result<(), Failure> {
    let session = Session::new(&args.target)?;
    let mut summaries = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let mut input = Map::new();
        if let Some(t) = &args.table {
            input.insert("TableName".into(), json!(t));
        }
        if let Some(t) = &args.backup_type {
            input.insert("BackupType".into(), json!(t.to_ascii_uppercase()));
        }
        if let Some(n) = args.page_size {
            input.insert("Limit".into(), json!(n));
        }
        if let Some(s) = &start {
            input.insert("ExclusiveStartBackupArn".into(), json!(s));
        }
        let page = session.call("ListBackups", Value::Object(input))?;
        if let Some(list) = page.get("BackupSummaries").and_then(Value::as_array) {
            summaries.extend(list.iter().cloned());
        }
        match str_at(&page, &["LastEvaluatedBackupArn"]) {
            // A server that answers the same page again would loop for ever.
            Some(next) if start.as_deref() != Some(next) => start = Some(next.to_owned()),
            _ => break,
        }
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&summaries).expect("JSON")
        );
        return Ok(());
    }
    print!("{}", backups_table(&summaries));
    Ok(())
}

fn backups_table(summaries: &[Value]) -> String {
    let header = ["NAME", "ARN", "TABLE", "STATUS", "TYPE", "CREATED", "SIZE"];
    let rows: Vec<[String; 7]> = summaries
        .iter()
        .map(|s| {
            let text = |k: &str| str_at(s, &[k]).unwrap_or("").to_owned();
            [
                text("BackupName"),
                text("BackupArn"),
                text("TableName"),
                text("BackupStatus"),
                text("BackupType"),
                f64_at(s, &["BackupCreationDateTime"]).map_or(String::new(), rfc3339),
                u64_at(s, &["BackupSizeBytes"]).unwrap_or(0).to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let line = |cells: [&str; 7]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i == 6 {
                // Sizes align right.
                out.push_str(&format!("{cell:>w$}"));
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(header);
    for row in &rows {
        out.push_str(&line(row.each_ref().map(String::as_str)));
    }
    out.push_str(&format!("{} backup(s)\n", rows.len()));
    out
}

// ---- backup restore, restore-pitr ----------------------------------------------------------

fn restore(args: RestoreArgs) -> Result<(), Failure> {
    let session = Session::new(&args.endpoint)?;
    let backup = session.call("DescribeBackup", json!({"BackupArn": args.backup_arn}))?;
    let expected = u64_at(
        &backup,
        &["BackupDescription", "SourceTableDetails", "ItemCount"],
    );
    let started = Instant::now();
    session.call(
        "RestoreTableFromBackup",
        json!({"TargetTableName": args.target, "BackupArn": args.backup_arn}),
    )?;
    let from = format!("backup {}", args.backup_arn);
    wait_restored(&session, &args.target, &from, expected, started)
}

fn restore_pitr(args: RestorePitrArgs) -> Result<(), Failure> {
    let session = Session::new(&args.endpoint)?;
    let source_is_arn = args.source.starts_with("arn:");
    // The source's item count now, as an estimate of the restore's (none for a deleted table).
    let expected = session
        .db
        .call("DescribeTable", &json!({"TableName": args.source}))
        .ok()
        .and_then(|d| u64_at(&d, &["Table", "ItemCount"]));
    let mut input = Map::new();
    input.insert(
        if source_is_arn {
            "SourceTableArn"
        } else {
            "SourceTableName"
        }
        .into(),
        json!(args.source),
    );
    input.insert("TargetTableName".into(), json!(args.target));
    match args.time {
        Some(t) => input.insert("RestoreDateTime".into(), json!(t)),
        None => input.insert("UseLatestRestorableTime".into(), json!(true)),
    };
    let started = Instant::now();
    let answer = session.call("RestoreTableToPointInTime", Value::Object(input))?;
    let at = f64_at(
        &answer,
        &["TableDescription", "RestoreSummary", "RestoreDateTime"],
    )
    .or(args.time);
    let from = match at {
        Some(at) => format!("{} as of {}", args.source, rfc3339(at)),
        None => args.source.clone(),
    };
    wait_restored(&session, &args.target, &from, expected, started)
}

/// Polls DescribeTable of `table` until it is ACTIVE, with a bar of its ItemCount against
/// `expected`, and prints the summary.
fn wait_restored(
    session: &Session,
    table: &str,
    from: &str,
    expected: Option<u64>,
    started: Instant,
) -> Result<(), Failure> {
    let bar = items_bar(format!("restoring {table}"), expected);
    let d = session.poll(
        &bar,
        "the restore",
        "DescribeTable",
        &json!({"TableName": table}),
        |d| {
            let count = u64_at(d, &["Table", "ItemCount"]).unwrap_or(0);
            if bar.length().is_some_and(|len| count > len) {
                bar.set_length(count);
            }
            bar.set_position(count);
            match str_at(d, &["Table", "TableStatus"]) {
                Some("ACTIVE") => Ok(true),
                Some("CREATING") | Some("UPDATING") => Ok(false),
                Some(other) => Err(Failure(format!("table {table} is {other}"))),
                None => Err(unexpected("DescribeTable", "Table.TableStatus")),
            }
        },
    )?;
    let elapsed = started.elapsed().as_secs_f64();
    let items = u64_at(&d, &["Table", "ItemCount"]).unwrap_or(0);
    println!("Restored {table} from {from}");
    print_fields(&[
        (
            "Table ARN",
            str_at(&d, &["Table", "TableArn"]).unwrap_or("").to_owned(),
        ),
        ("Items", items.to_string()),
        (
            "Size",
            bytes_text(u64_at(&d, &["Table", "TableSizeBytes"]).unwrap_or(0)),
        ),
        ("Elapsed", format!("{elapsed:.1} s")),
        ("Rate", rate(items, elapsed)),
    ]);
    Ok(())
}

fn rate(items: u64, seconds: f64) -> String {
    if seconds > 0.0 {
        format!("{:.0} items/s", items as f64 / seconds)
    } else {
        "n/a".into()
    }
}

// ---- export --------------------------------------------------------------------------------

fn export(args: ExportArgs) -> Result<(), Failure> {
    let session = Session::new(&args.target)?;
    let table = session.call("DescribeTable", json!({"TableName": args.table}))?;
    let table_arn = str_at(&table, &["Table", "TableArn"])
        .ok_or_else(|| unexpected("DescribeTable", "Table.TableArn"))?
        .to_owned();
    let mut input = Map::new();
    input.insert("TableArn".into(), json!(table_arn));
    input.insert("S3Bucket".into(), json!(args.bucket));
    if let Some(p) = &args.prefix {
        input.insert("S3Prefix".into(), json!(p));
    }
    if let Some(f) = &args.format {
        input.insert("ExportFormat".into(), json!(f.to_ascii_uppercase()));
    }
    if let Some(t) = args.time {
        input.insert("ExportTime".into(), json!(t));
    }
    let started = Instant::now();
    let answer = session.call("ExportTableToPointInTime", Value::Object(input))?;
    let arn = str_at(&answer, &["ExportDescription", "ExportArn"])
        .ok_or_else(|| unexpected("ExportTableToPointInTime", "ExportDescription.ExportArn"))?
        .to_owned();
    let bar = spinner(format!("exporting {}: IN_PROGRESS", args.table));
    let d = session.poll(
        &bar,
        "the export",
        "DescribeExport",
        &json!({"ExportArn": arn}),
        |d| {
            let e = &d["ExportDescription"];
            match str_at(e, &["ExportStatus"]) {
                Some("COMPLETED") => Ok(true),
                Some("FAILED") => Err(Failure(failure_text("export", &arn, e))),
                Some(status) => {
                    let items = u64_at(e, &["ItemCount"])
                        .map(|n| format!(", {n} items"))
                        .unwrap_or_default();
                    bar.set_message(format!("exporting {}: {status}{items}", args.table));
                    Ok(false)
                }
                None => Err(unexpected(
                    "DescribeExport",
                    "ExportDescription.ExportStatus",
                )),
            }
        },
    )?;
    let e = &d["ExportDescription"];
    let elapsed = started.elapsed().as_secs_f64();
    let items = u64_at(e, &["ItemCount"]).unwrap_or(0);
    let manifest = str_at(e, &["ExportManifest"])
        .map(|m| format!("{}/{m}", args.bucket))
        .unwrap_or_default();
    println!("Export COMPLETED in {elapsed:.1} s");
    print_fields(&[
        ("Export ARN", arn.clone()),
        ("Items", items.to_string()),
        (
            "Billed size",
            bytes_text(u64_at(e, &["BilledSizeBytes"]).unwrap_or(0)),
        ),
        (
            "Format",
            str_at(e, &["ExportFormat"])
                .unwrap_or("DYNAMODB_JSON")
                .to_owned(),
        ),
        ("Manifest", manifest),
        ("Rate", rate(items, elapsed)),
    ]);
    Ok(())
}

/// `export ARN FAILED: CODE: message`.
fn failure_text(what: &str, arn: &str, description: &Value) -> String {
    let code = str_at(description, &["FailureCode"]).unwrap_or("");
    let message = str_at(description, &["FailureMessage"]).unwrap_or("");
    let status = str_at(description, &["ImportStatus"])
        .or_else(|| str_at(description, &["ExportStatus"]))
        .unwrap_or("FAILED");
    match (code.is_empty(), message.is_empty()) {
        (true, true) => format!("{what} {arn} {status}"),
        (false, true) => format!("{what} {arn} {status}: {code}"),
        (true, false) => format!("{what} {arn} {status}: {message}"),
        (false, false) => format!("{what} {arn} {status}: {code}: {message}"),
    }
}

// ---- import --------------------------------------------------------------------------------

/// `NAME:TYPE` of `--key`.
fn parse_attribute(text: &str) -> Result<(String, String), String> {
    let (name, ty) = text
        .rsplit_once(':')
        .ok_or_else(|| format!("expected NAME:TYPE (TYPE S, N or B), got {text:?}"))?;
    attribute(name, ty)
}

fn attribute(name: &str, ty: &str) -> Result<(String, String), String> {
    let ty = ty.to_ascii_uppercase();
    if name.is_empty() || !matches!(ty.as_str(), "S" | "N" | "B") {
        return Err(format!(
            "expected NAME:TYPE with TYPE S, N or B, got {name}:{ty}"
        ));
    }
    Ok((name.to_owned(), ty))
}

/// `NAME:PK:TYPE[:SK:TYPE]` of `--gsi`.
fn parse_gsi(text: &str) -> Result<Gsi, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let keys = match parts.as_slice() {
        [_, pk, pt] => vec![attribute(pk, pt)?],
        [_, pk, pt, sk, st] => vec![attribute(pk, pt)?, attribute(sk, st)?],
        _ => return Err(format!("expected NAME:PK:TYPE[:SK:TYPE], got {text:?}")),
    };
    if parts[0].is_empty() {
        return Err(format!("the index of {text:?} has no name"));
    }
    Ok(Gsi {
        name: parts[0].to_owned(),
        keys,
    })
}

fn key_schema(keys: &[(String, String)]) -> Value {
    Value::Array(
        keys.iter()
            .zip(["HASH", "RANGE"])
            .map(|((name, _), kind)| json!({"AttributeName": name, "KeyType": kind}))
            .collect(),
    )
}

/// ImportTable's TableCreationParameters: an on-demand table with these keys and indexes.
fn table_creation_parameters(
    table: &str,
    keys: &[(String, String)],
    gsis: &[Gsi],
) -> Result<Value, String> {
    if keys.len() > 2 {
        return Err("at most two --key: the partition key and the sort key".into());
    }
    let mut definitions: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, ty) in keys.iter().chain(gsis.iter().flat_map(|g| &g.keys)) {
        match definitions.insert(name, ty) {
            Some(other) if other != ty => {
                return Err(format!(
                    "attribute {name} is given as both {other} and {ty}"
                ))
            }
            _ => {}
        }
    }
    let mut params = json!({
        "TableName": table,
        "KeySchema": key_schema(keys),
        "AttributeDefinitions": definitions
            .iter()
            .map(|(name, ty)| json!({"AttributeName": name, "AttributeType": ty}))
            .collect::<Vec<_>>(),
        "BillingMode": "PAY_PER_REQUEST",
    });
    if !gsis.is_empty() {
        params["GlobalSecondaryIndexes"] = gsis
            .iter()
            .map(|g| {
                json!({
                    "IndexName": g.name,
                    "KeySchema": key_schema(&g.keys),
                    "Projection": {"ProjectionType": "ALL"},
                })
            })
            .collect();
    }
    Ok(params)
}

fn import(args: ImportArgs) -> Result<(), Failure> {
    let session = Session::new(&args.target)?;
    let mut source = json!({"S3Bucket": args.bucket});
    if let Some(p) = &args.prefix {
        source["S3KeyPrefix"] = json!(p);
    }
    let format = args.format.to_ascii_uppercase();
    let mut input = json!({
        "S3BucketSource": source,
        "InputFormat": format,
        "TableCreationParameters": table_creation_parameters(&args.table, &args.keys, &args.gsis)?,
    });
    if let Some(c) = &args.compression {
        input["InputCompressionType"] = json!(c.to_ascii_uppercase());
    }
    if args.csv_delimiter.is_some() || !args.csv_header.is_empty() {
        if format != "CSV" {
            return Err(Failure(
                "--csv-delimiter and --csv-header are for --format CSV".into(),
            ));
        }
        let mut csv = Map::new();
        if let Some(d) = &args.csv_delimiter {
            csv.insert("Delimiter".into(), json!(d));
        }
        if !args.csv_header.is_empty() {
            csv.insert("HeaderList".into(), json!(args.csv_header));
        }
        input["InputFormatOptions"] = json!({"Csv": csv});
    }
    let started = Instant::now();
    let answer = session.call("ImportTable", input)?;
    let arn = str_at(&answer, &["ImportTableDescription", "ImportArn"])
        .ok_or_else(|| unexpected("ImportTable", "ImportTableDescription.ImportArn"))?
        .to_owned();
    let bar = items_bar(format!("importing into {}", args.table), None);
    let d = session.poll(
        &bar,
        "the import",
        "DescribeImport",
        &json!({"ImportArn": arn}),
        |d| {
            let i = &d["ImportTableDescription"];
            bar.set_position(u64_at(i, &["ProcessedItemCount"]).unwrap_or(0));
            match str_at(i, &["ImportStatus"]) {
                Some("COMPLETED") => Ok(true),
                Some("FAILED") | Some("CANCELLED") => Err(Failure(failure_text("import", &arn, i))),
                Some(_) => Ok(false),
                None => Err(unexpected(
                    "DescribeImport",
                    "ImportTableDescription.ImportStatus",
                )),
            }
        },
    )?;
    let i = &d["ImportTableDescription"];
    let elapsed = started.elapsed().as_secs_f64();
    let imported = u64_at(i, &["ImportedItemCount"]).unwrap_or(0);
    println!("Import COMPLETED in {elapsed:.1} s");
    print_fields(&[
        ("Import ARN", arn.clone()),
        (
            "Table ARN",
            str_at(i, &["TableArn"]).unwrap_or("").to_owned(),
        ),
        (
            "Processed",
            format!(
                "{} items, {}",
                u64_at(i, &["ProcessedItemCount"]).unwrap_or(0),
                bytes_text(u64_at(i, &["ProcessedSizeBytes"]).unwrap_or(0))
            ),
        ),
        ("Imported", format!("{imported} items")),
        (
            "Errors",
            u64_at(i, &["ErrorCount"]).unwrap_or(0).to_string(),
        ),
        ("Elapsed", format!("{elapsed:.1} s")),
        ("Rate", rate(imported, elapsed)),
    ]);
    Ok(())
}

// ---- time ----------------------------------------------------------------------------------

/// `--time`: seconds since the epoch (fractions allowed) or RFC 3339.
fn parse_time(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(secs);
        }
    }
    parse_rfc3339(text).ok_or_else(|| {
        format!(
            "expected RFC 3339 (2026-01-31T12:00:00Z, 2026-01-31T13:00:00+01:00) or seconds \
             since the epoch, got {text:?}"
        )
    })
}

fn parse_rfc3339(text: &str) -> Option<f64> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = text.get(range)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = &text[19..];
    let mut fraction = 0.0;
    if let Some(f) = rest.strip_prefix('.') {
        let n = f.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        fraction = format!("0.{}", &f[..n]).parse().ok()?;
        rest = &f[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let r = &rest[1..];
            if r.len() != 5 || r.as_bytes()[2] != b':' {
                return None;
            }
            let (h, m): (i64, i64) = (r[..2].parse().ok()?, r[3..].parse().ok()?);
            if h > 23 || m > 59 {
                return None;
            }
            sign * (h * 3600 + m * 60)
        }
    };
    let secs =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    Some(secs as f64 + fraction)
}

/// `2026-01-31T12:00:00Z` (whole seconds) of seconds since the epoch.
fn rfc3339(secs: f64) -> String {
    let ((y, mo, d), (h, mi, s)) = civil_of_seconds(secs.floor() as i64);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_rfc3339_or_epoch_seconds() {
        assert_eq!(parse_time("0").unwrap(), 0.0);
        assert_eq!(parse_time("1767225600.5").unwrap(), 1_767_225_600.5);
        assert_eq!(parse_time("2026-01-01T00:00:00Z").unwrap(), 1_767_225_600.0);
        assert_eq!(
            parse_time("2026-01-01T01:00:00.25+01:00").unwrap(),
            1_767_225_600.25
        );
        assert_eq!(
            parse_time("2025-12-31T19:00:00-05:00").unwrap(),
            1_767_225_600.0
        );
        assert_eq!(parse_time("2024-02-29 12:00:00z").unwrap(), 1_709_208_000.0);
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01",
            "yesterday",
            "-5",
            "2026-01-01T00:00:00+1:00",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
        assert_eq!(rfc3339(1_767_225_600.9), "2026-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400.0), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn default_backup_names_are_valid_backup_names() {
        let at = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        assert_eq!(default_backup_name("orders", at), "orders-20260101-000000");
        let long = "t".repeat(255);
        let name = default_backup_name(&long, at);
        assert_eq!(name.len(), 255);
        assert!(name.ends_with("-20260101-000000"));
    }

    #[test]
    fn import_keys_and_indexes_become_table_creation_parameters() {
        let keys = vec![
            parse_attribute("pk:S").unwrap(),
            parse_attribute("sk:n").unwrap(),
        ];
        let gsi = parse_gsi("byEmail:email:S").unwrap();
        let p = table_creation_parameters("t", &keys, &[gsi]).unwrap();
        assert_eq!(
            p["KeySchema"],
            json!([{"AttributeName": "pk", "KeyType": "HASH"},
                   {"AttributeName": "sk", "KeyType": "RANGE"}])
        );
        assert_eq!(
            p["AttributeDefinitions"],
            json!([{"AttributeName": "email", "AttributeType": "S"},
                   {"AttributeName": "pk", "AttributeType": "S"},
                   {"AttributeName": "sk", "AttributeType": "N"}])
        );
        assert_eq!(p["GlobalSecondaryIndexes"][0]["IndexName"], "byEmail");
        assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
        let clash = parse_gsi("g:pk:N").unwrap();
        assert!(table_creation_parameters("t", &keys, &[clash]).is_err());
        assert!(parse_attribute("pk").is_err());
        assert!(parse_attribute("pk:X").is_err());
        assert!(parse_gsi("g:a:S:b").is_err());
        assert_eq!(parse_gsi("g:a:S:b:B").unwrap().keys.len(), 2);
    }

    #[test]
    fn sizes_read_in_binary_units() {
        assert_eq!(bytes_text(12), "12 bytes");
        assert_eq!(bytes_text(1536), "1536 bytes (1.5 KiB)");
        assert_eq!(bytes_text(3 << 30), "3221225472 bytes (3.0 GiB)");
    }

    #[test]
    fn the_backup_table_aligns_its_columns() {
        let rows = vec![json!({
            "BackupName": "b1", "BackupArn": "arn:x", "TableName": "t",
            "BackupStatus": "AVAILABLE", "BackupType": "USER",
            "BackupCreationDateTime": 1_767_225_600.0, "BackupSizeBytes": 42,
        })];
        let text = backups_table(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAME  ARN    TABLE  STATUS     TYPE  CREATED"));
        assert!(lines[1].contains("2026-01-01T00:00:00Z"), "{text}");
        assert!(lines[1].ends_with("42"), "{text}");
        assert_eq!(lines[2], "1 backup(s)");
    }
}
