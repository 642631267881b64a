//! Replays fuzz inputs through the `statements` fuzz target's own body (`fuzz_body/mod.rs`):
//! the seeds (`fuzz/seeds/`) and saved crash inputs (`fuzz/regressions/`), plus inputs at the
//! nesting and size limits that a mutating fuzzer rarely builds. Set
//! `FERRODYN_FUZZ_CORPUS=dir` to replay a whole corpus too (e.g. the one `.ci/fuzz` keeps in
//! `~/.cache/ferrodyn/fuzz-corpus/statements`).

mod fuzz_body;

use std::path::{Path, PathBuf};

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable directory").path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .collect();
    files.sort();
    files
}

#[test]
fn inputs_at_the_limits_do_not_panic() {
    let depth = ferrodyn_partiql::MAX_DEPTH;
    const MAX: usize = ferrodyn_partiql::MAX_DEPTH;
    let inputs = [
        format!(
            "SELECT * FROM t WHERE {}a = 1{}",
            "(".repeat(depth - 3),
            ")".repeat(depth - 3)
        ),
        format!(
            "SELECT * FROM t WHERE {}a = 1{}",
            "(".repeat(depth + 1),
            ")".repeat(depth + 1)
        ),
        format!(
            "SELECT * FROM t WHERE a = {}?{}",
            "[".repeat(depth - 3),
            "]".repeat(depth - 3)
        ),
        format!(
            "INSERT INTO t VALUE {}1{}",
            "{'k': ".repeat(depth - 2),
            "}".repeat(depth - 2)
        ),
        format!("SELECT * FROM t WHERE {}", vec!["a = ?"; 512].join(" AND ")),
        format!("SELECT * FROM t WHERE {}", vec!["a = ?"; 513].join(" AND ")),
        format!(
            "SELECT * FROM t WHERE {}",
            vec!["NOT a = ?"; 600].join(" OR ")
        ),
        format!("SELECT * FROM t WHERE a = 1{}", " + ?".repeat(2047)),
        format!("SELECT * FROM t WHERE a = 1{}", " + ?".repeat(2048)),
        format!("UPDATE t SET a = a{} WHERE pk = 1", " - ?".repeat(2046)),
        format!(
            "SELECT * FROM t WHERE {}",
            vec!["NOT a = ?"; 1024].join(" OR ")
        ),
        // Deepest nesting inside the deepest chain.
        format!(
            "SELECT * FROM t WHERE {}{}a = 1{}",
            "a = 1 AND ".repeat(400),
            "(".repeat(MAX - 3),
            ")".repeat(MAX - 3)
        ),
        format!(
            "SELECT * FROM t WHERE a IN [{}]",
            vec!["?"; 5000].join(", ")
        ),
        format!(
            "UPDATE t SET a = <<{}>> WHERE pk = 1",
            (0..3000)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!(
            "SELECT {} FROM t",
            (0..2000)
                .map(|i| format!("a{i}.b[{i}]"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!("SELECT * FROM t WHERE a = {}1", "- ".repeat(depth * 3)),
        format!("SELECT * FROM t WHERE a = '{}'", "''".repeat(10_000)),
        format!("EXISTS({}", "EXISTS(SELECT * FROM t WHERE ".repeat(depth)),
        "ü".repeat(5000),
    ];
    for input in inputs {
        fuzz_body::run(input.as_bytes());
    }
}

#[test]
fn saved_crash_inputs_and_seeds_do_not_panic() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let seeds = files(&fuzz.join("seeds"));
    assert!(!seeds.is_empty(), "no seeds in {}", fuzz.display());
    for file in seeds.iter().chain(&files(&fuzz.join("regressions"))) {
        eprintln!("{}", file.display());
        fuzz_body::run(&std::fs::read(file).expect("readable input"));
    }
}

#[test]
fn corpus_from_environment_does_not_panic() {
    let Some(dir) = std::env::var_os("FERRODYN_FUZZ_CORPUS") else {
        return;
    };
    for file in files(Path::new(&dir)) {
        fuzz_body::run(&std::fs::read(file).expect("readable input"));
    }
}
