//! `ferrodyn apply TEMPLATE`: makes a server's tables match the DynamoDB tables of a
//! CloudFormation or SAM template (`AWS::DynamoDB::Table`, `AWS::DynamoDB::GlobalTable`,
//! `AWS::Serverless::SimpleTable`).
//!
//! The work goes in three passes, and nothing changes before the last: the template is read
//! (`yaml.rs`), its parameters, conditions and mappings resolved (`template.rs`) and each table
//! resource checked property by property (`spec.rs`); the server's tables are read and the
//! steps between the two planned (`plan.rs`), every error of both passes reported together
//! with its line and column; then the steps run one by one, each waiting for its effect (an
//! index backfill, a deletion). `--plan` stops after the second pass and prints the steps.
//!
//! Apply tags every table it creates with `ferrodyn:managed-by` = the stack name and
//! `ferrodyn:deletion-policy` = the resource's DeletionPolicy: a table of the stack that is no
//! longer in the template is deleted, or with Retain released (untagged, kept); a table
//! without the tag is never changed nor deleted.

mod plan;
mod spec;
mod template;
mod yaml;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::client::DynamoDb;

/// The examples of `ferrodyn apply --help`.
pub const EXAMPLES: &str = "\
Examples:
  ferrodyn apply template.yaml --plan                 # print the changes, make none
  ferrodyn apply template.yaml --endpoint http://127.0.0.1:8000
  ferrodyn apply sam/template.yaml --stack-name shop --parameter Env=dev
  ferrodyn apply template.json --allow-replace        # may delete and re-create tables

Tables it creates are tagged ferrodyn:managed-by=STACK; a table of the stack removed from the
template is deleted, unless its DeletionPolicy is Retain. Tables without the tag are never
touched.";

/// `ferrodyn apply`.
#[derive(clap::Args)]
pub struct ApplyArgs {
    /// The template: CloudFormation or SAM, YAML or JSON.
    #[arg(value_name = "TEMPLATE")]
    template: PathBuf,
    /// Print the changes apply would make, one a line, and make none.
    #[arg(long)]
    plan: bool,
    /// A template parameter's value (overrides its Default); repeat for more.
    #[arg(long = "parameter", value_name = "KEY=VALUE", value_parser = parse_parameter)]
    parameters: Vec<(String, String)>,
    /// Delete and re-create a table whose key schema or local secondary indexes change
    /// (its items are lost); without it such a change is refused.
    #[arg(long)]
    allow_replace: bool,
    /// The stack: AWS::StackName, and the value of the ferrodyn:managed-by tag of the tables
    /// apply manages (default: the template's file name without its extension).
    #[arg(long, value_name = "NAME")]
    stack_name: Option<String>,
    /// AWS::AccountId.
    #[arg(long, value_name = "ID", default_value = "000000000000")]
    account_id: String,
    /// The server's endpoint (http only).
    #[arg(long, default_value = "http://127.0.0.1:8000", help_heading = "Target")]
    endpoint: String,
    /// Seconds between two status checks while waiting for an index build or a deletion.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 0.2,
        help_heading = "Target"
    )]
    poll_interval: f64,
    /// Give up waiting for one change after this many seconds.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 600.0,
        help_heading = "Target"
    )]
    wait_timeout: f64,
    // --region is also AWS::Region (and picks a GlobalTable's replica).
    #[command(flatten)]
    signing: ferrodyn_bench::SigningArgs,
}

fn parse_parameter(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
    }
}

/// Runs `ferrodyn apply`.
pub fn run_cli(args: ApplyArgs) -> ExitCode {
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(lines) => {
            for line in lines {
                eprintln!("ferrodyn apply: {line}");
            }
            ExitCode::FAILURE
        }
    }
}

/// The default stack name: the file name without its extension, as a stack name may be
/// written (letters, digits and hyphens).
fn default_stack_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    if name.is_empty() {
        "ferrodyn".to_owned()
    } else {
        name
    }
}

/// `FILE:LINE:COLUMN: message` for an error with a place, `FILE: message` without.
fn located(file: &str, e: &yaml::Error) -> String {
    if e.pos.line == 0 {
        format!("{file}: {}", e.message)
    } else {
        format!("{file}:{}:{}: {}", e.pos.line, e.pos.col, e.message)
    }
}

/// The tables of the template, checked: pass one.
fn read_template(args: &ApplyArgs, stack: &str) -> Result<Vec<spec::TableSpec>, Vec<String>> {
    let file = args.template.display().to_string();
    let text = std::fs::read_to_string(&args.template)
        .map_err(|e| vec![format!("cannot read {file}: {e}")])?;
    let at = |e: &yaml::Error| located(&file, e);
    let root = yaml::parse(&text).map_err(|e| vec![at(&e)])?;
    let overrides: BTreeMap<String, String> = args.parameters.iter().cloned().collect();
    let ctx = template::Context {
        region: args.signing.region.clone(),
        account_id: args.account_id.clone(),
        stack_name: stack.to_owned(),
    };
    let template = template::Template::new(root, ctx, &overrides)
        .map_err(|errors| errors.iter().map(at).collect::<Vec<_>>())?;
    let mut specs: Vec<spec::TableSpec> = Vec::new();
    let mut errors = Vec::new();
    for resource in &template.resources {
        if !template::TABLE_TYPES.contains(&resource.type_name.as_str()) {
            continue;
        }
        if let Some(c) = resource.node.get("Condition") {
            let included = match c.as_str() {
                Some(name) => template.condition(name, c.pos),
                None => Err(yaml::Error::at(c.pos, "a resource's Condition is a name")),
            };
            match included {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => {
                    errors.push(at(&e));
                    continue;
                }
            }
        }
        match spec::table_spec(&template, resource) {
            Ok(s) => {
                if let Some(other) = specs.iter().find(|o| o.name == s.name) {
                    errors.push(at(&yaml::Error::at(
                        s.pos,
                        format!(
                            "{} and {} both name the table {}",
                            other.logical_id, s.logical_id, s.name
                        ),
                    )));
                }
                specs.push(s);
            }
            Err(e) => errors.push(at(&e)),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    for s in &specs {
        for path in &s.ignored {
            eprintln!("ferrodyn apply: note: {file}: {path} has no effect on ferrodyn (ignored)");
        }
    }
    Ok(specs)
}

fn run(args: ApplyArgs) -> Result<(), Vec<String>> {
    let stack = match &args.stack_name {
        Some(s) => {
            let ok = s.len() <= 128
                && s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if !ok {
                return Err(vec![format!(
                    "--stack-name {s:?}: a stack name is a letter, then letters, digits and \
                     hyphens (128 at most)"
                )]);
            }
            s.clone()
        }
        None => default_stack_name(&args.template),
    };
    let waiting = plan::Waiting {
        interval: Duration::try_from_secs_f64(args.poll_interval)
            .map_err(|e| vec![format!("invalid --poll-interval: {e}")])?,
        timeout: Duration::try_from_secs_f64(args.wait_timeout)
            .map_err(|e| vec![format!("invalid --wait-timeout: {e}")])?,
    };
    let specs = read_template(&args, &stack)?;
    let db = DynamoDb::new(&args.endpoint, &args.signing);
    let state = plan::read_state(&db)
        .map_err(|e| vec![format!("cannot read the tables of {}: {e}", args.endpoint)])?;
    let file = args.template.display().to_string();
    let steps = plan::plan(&specs, &state, &stack, args.allow_replace)
        .map_err(|errors| errors.iter().map(|e| located(&file, e)).collect::<Vec<_>>())?;
    let mut out = std::io::stdout().lock();
    if steps.is_empty() {
        let _ = writeln!(out, "No changes.");
        return Ok(());
    }
    if args.plan {
        for s in &steps {
            let _ = writeln!(out, "{}", s.line);
        }
        return Ok(());
    }
    for (done, s) in steps.iter().enumerate() {
        let _ = writeln!(out, "{}", s.line);
        let _ = out.flush();
        plan::execute(&db, &waiting, s, &stack).map_err(|e| {
            vec![format!(
                "{}: {e} ({done} of {} changes made before it)",
                s.line,
                steps.len()
            )]
        })?;
    }
    let n = steps.len();
    let _ = writeln!(out, "Applied {n} change{}.", if n == 1 { "" } else { "s" });
    Ok(())
}
