//! The bridge to cpp/encrypted_env.cc: builds RocksDB's encrypted Env around
//! a [`DirCipher`] and answers the shim's calls into Rust.
//!
//! The shim owns the cipher once [`encrypted_env`] hands it over, and gives
//! it back through `ferrodyn_encryption_release` when RocksDB drops its
//! encryption provider (after the last database using the Env has closed).

use std::ffi::{c_char, c_int, c_void};

use super::cipher::{DirCipher, Nonce, PREFIX_LEN};
use super::EncryptionError;

extern "C" {
    /// Defined in cpp/encrypted_env.cc. Takes ownership of `cipher`; returns
    /// null (having released it) when RocksDB refuses to build the Env.
    fn ferrodyn_encrypted_env_new(
        cipher: *mut c_void,
        prefix_len: usize,
    ) -> *mut librocksdb_sys::rocksdb_env_t;
}

/// A RocksDB Env whose every file is encrypted with `cipher`. The Env (and so
/// the cipher) lives as long as any `Options` or database holding it.
pub(crate) fn encrypted_env(cipher: DirCipher) -> Result<rocksdb::Env, EncryptionError> {
    let cipher = Box::into_raw(Box::new(cipher)).cast::<c_void>();
    // SAFETY: `cipher` is a valid, owned DirCipher; the shim releases it
    // exactly once, through `ferrodyn_encryption_release`, on every path.
    let env = unsafe { ferrodyn_encrypted_env_new(cipher, PREFIX_LEN) };
    if env.is_null() {
        return Err(EncryptionError::Env);
    }
    // SAFETY: `env` is a fresh `rocksdb_env_t` laid out as RocksDB's C API
    // lays it out (the shim mirrors db/c.cc), owned by nobody else, so
    // `rocksdb_env_destroy` may free it when the Env is dropped.
    Ok(unsafe { rocksdb::Env::from_raw(env) })
}

/// The cipher behind the shim's opaque pointer.
///
/// # Safety
/// `cipher` must be a pointer given to `ferrodyn_encrypted_env_new` and not
/// yet released.
unsafe fn cipher<'a>(cipher: *const c_void) -> &'a DirCipher {
    &*cipher.cast::<DirCipher>()
}

/// Copies `text` (truncated, NUL-terminated) into the shim's message buffer.
///
/// # Safety
/// `message` must point to `capacity` writable bytes.
unsafe fn write_message(message: *mut c_char, capacity: usize, text: &str) {
    if message.is_null() || capacity == 0 {
        return;
    }
    let len = text.len().min(capacity - 1);
    std::ptr::copy_nonoverlapping(text.as_ptr(), message.cast::<u8>(), len);
    *message.add(len) = 0;
}

/// Fills the prefix of a new file. Returns 0, or 1 with a reason in `message`.
///
/// # Safety
/// `cipher` as for [`cipher`]; `prefix` points to `prefix_len` writable bytes
/// and `message` to `message_len`.
#[no_mangle]
unsafe extern "C" fn ferrodyn_encryption_new_prefix(
    cipher_ptr: *const c_void,
    prefix: *mut c_char,
    prefix_len: usize,
    message: *mut c_char,
    message_len: usize,
) -> c_int {
    let prefix = std::slice::from_raw_parts_mut(prefix.cast::<u8>(), prefix_len);
    match cipher(cipher_ptr).new_prefix(prefix) {
        Ok(()) => 0,
        Err(e) => {
            write_message(message, message_len, &e.to_string());
            1
        }
    }
}

/// Checks a file's prefix and writes its nonce (16 bytes) to `nonce`.
/// Returns 0, or 1 with a reason in `message`.
///
/// # Safety
/// `cipher` as for [`cipher`]; `prefix` points to `prefix_len` readable
/// bytes (or is null with `prefix_len == 0`), `nonce` to 16 writable bytes
/// and `message` to `message_len`.
#[no_mangle]
unsafe extern "C" fn ferrodyn_encryption_open_prefix(
    cipher_ptr: *const c_void,
    prefix: *const c_char,
    prefix_len: usize,
    nonce: *mut u8,
    message: *mut c_char,
    message_len: usize,
) -> c_int {
    let prefix = if prefix_len == 0 {
        &[][..]
    } else {
        std::slice::from_raw_parts(prefix.cast::<u8>(), prefix_len)
    };
    match cipher(cipher_ptr).open_prefix(prefix) {
        Ok(found) => {
            std::ptr::copy_nonoverlapping(found.as_ptr(), nonce, found.len());
            0
        }
        Err(e) => {
            write_message(message, message_len, &e.to_string());
            1
        }
    }
}

/// Encrypts or decrypts `len` bytes at `data`, which sit at `file_offset`
/// of the file with `nonce`.
///
/// # Safety
/// `cipher` as for [`cipher`]; `nonce` points to 16 readable bytes and
/// `data` to `len` writable ones (or is null with `len == 0`).
#[no_mangle]
unsafe extern "C" fn ferrodyn_encryption_apply(
    cipher_ptr: *const c_void,
    nonce: *const u8,
    file_offset: u64,
    data: *mut c_char,
    len: usize,
) {
    if len == 0 {
        return;
    }
    let nonce = &*nonce.cast::<Nonce>();
    let data = std::slice::from_raw_parts_mut(data.cast::<u8>(), len);
    cipher(cipher_ptr).apply(nonce, file_offset, data);
}

/// Frees the cipher once RocksDB no longer needs it.
///
/// # Safety
/// `cipher` was given to `ferrodyn_encrypted_env_new` and is released only
/// this once.
#[no_mangle]
unsafe extern "C" fn ferrodyn_encryption_release(cipher_ptr: *mut c_void) {
    drop(Box::from_raw(cipher_ptr.cast::<DirCipher>()));
}
