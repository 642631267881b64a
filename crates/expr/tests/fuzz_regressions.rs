//! Replays fuzz inputs through the `expressions` fuzz target's own body
//! (`fuzz_body/mod.rs`), so every crash the fuzzer ever found stays fixed without running
//! the fuzzer: the seeds (`fuzz/seeds/`) and the saved crash inputs (`fuzz/regressions/`,
//! one file each, as libFuzzer wrote them). Also runs inputs at the size and nesting limits,
//! which a mutating fuzzer rarely builds. Set `FERRODYN_FUZZ_CORPUS=dir` to replay a whole
//! corpus too (e.g. the one `.ci/fuzz` keeps in `~/.cache/ferrodyn/fuzz-corpus/expressions`).

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

fn replay(file: &Path) {
    let data = std::fs::read(file).expect("readable input");
    fuzz_body::run(&data);
}

fn list(count: usize, item: impl Fn(usize) -> String) -> String {
    (0..count).map(item).collect::<Vec<_>>().join(", ")
}

#[test]
fn inputs_at_the_limits_do_not_panic() {
    let inputs = [
        // Nesting just under and over the parser's limit (160), as parentheses, calls and
        // if_not_exists in updates.
        format!("{}a = :n{}", "(".repeat(159), ")".repeat(159)),
        format!("{}a = :n{}", "(".repeat(161), ")".repeat(161)),
        format!("a = {}a{}", "size(".repeat(158), ")".repeat(158)),
        format!(
            "SET a = {}:l{}",
            "if_not_exists(a, ".repeat(150),
            ")".repeat(150)
        ),
        format!(
            "SET a = list_append({}:l{}, :l)",
            "if_not_exists(a, ".repeat(140),
            ")".repeat(140)
        ),
        // Operator and IN operand counts around DynamoDB's limits.
        format!("NOT a = :n{}", " OR NOT a = :n".repeat(150)),
        format!("{}a = :n", "NOT ".repeat(1020)),
        format!("a IN ({})", list(99, |_| ":n".into())),
        format!("a IN ({})", list(1300, |_| ":n".into())),
        // Many actions and paths (the overlap checks are quadratic).
        format!("SET {}", list(400, |i| format!("a{i} = :n"))),
        format!("SET {}", list(250, |i| format!("a{i} = a{i} + :n"))),
        format!("SET {}", list(400, |i| format!("l[{i}] = :n"))),
        format!(
            "SET {}",
            list(150, |i| format!("l[{}] = :l", 2147483647 - i))
        ),
        format!("REMOVE {}", list(600, |i| format!("l[{i}]"))),
        format!("REMOVE {}", list(400, |i| format!("l[{i}].x"))),
        list(800, |i| format!("p{i}")),
        // The deepest path allowed, into the fixture item's 31 nested maps.
        list(20, |i| format!("deep{}[{i}]", ".x".repeat(30))),
        // Exactly the size limit, one byte over, and multi-byte characters.
        format!("a = :n{}", " ".repeat(4096 - 6)),
        format!("a = :n{}", " ".repeat(4097 - 6)),
        "ü".repeat(2048),
        // A whole request (parts split by NUL), each part large.
        format!(
            "SET {}\0{}\0pk = :s\0{}a = :n\0{}",
            list(100, |i| format!("a{i} = :n")),
            ["a = :n"; 100].join(" AND "),
            "NOT ".repeat(200),
            list(300, |i| format!("q{i}"))
        ),
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
        replay(file);
    }
}

#[test]
fn corpus_from_environment_does_not_panic() {
    let Some(dir) = std::env::var_os("FERRODYN_FUZZ_CORPUS") else {
        return;
    };
    let corpus = files(Path::new(&dir));
    eprintln!("{} inputs in {}", corpus.len(), Path::new(&dir).display());
    corpus.iter().for_each(|f| replay(f));
}
