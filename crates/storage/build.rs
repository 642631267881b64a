//! Compiles the encrypted-Env shim (cpp/encrypted_env.cc) against the RocksDB
//! sources bundled in librocksdb-sys, when the `rocksdb` feature is on.
//!
//! librocksdb-sys declares `links = "rocksdb"` and prints its manifest dir, so
//! this crate, a direct dependent, sees it as `DEP_ROCKSDB_CARGO_MANIFEST_DIR`.
//! The defines mirror librocksdb-sys's build script for Linux: headers whose
//! layout depends on them (NDEBUG above all) must read the same as when
//! RocksDB itself was compiled.

use std::env;
use std::path::PathBuf;

const SHIM: &str = "cpp/encrypted_env.cc";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={SHIM}");
    if env::var_os("CARGO_FEATURE_ROCKSDB").is_none() {
        return;
    }
    let rocksdb = PathBuf::from(
        env::var("DEP_ROCKSDB_CARGO_MANIFEST_DIR")
            .expect("librocksdb-sys (a direct dependency) tells where its sources are"),
    )
    .join("rocksdb");
    let target = env::var("TARGET").unwrap_or_default();
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .file(SHIM)
        .include(rocksdb.join("include"))
        .include(&rocksdb)
        .define("NDEBUG", Some("1"))
        .define("ROCKSDB_PLATFORM_POSIX", None)
        .define("ROCKSDB_LIB_IO_POSIX", None)
        .define("ROCKSDB_SUPPORT_THREAD_LOCAL", None)
        .flag_if_supported("-std=c++17")
        .flag_if_supported("-Wno-unused-parameter");
    if target.contains("linux") {
        build.define("OS_LINUX", None);
    } else if target.contains("apple") {
        build.define("OS_MACOSX", None);
    }
    build.compile("ferrodyn_encrypted_env");
}
