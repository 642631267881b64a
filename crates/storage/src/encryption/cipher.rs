//! The cipher of one data dir: key derivation, the per-file prefix, and the
//! AES-256-CTR keystream. No I/O here; `env` feeds RocksDB's reads and writes
//! through it and `rekey` whole files.

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher, StreamCipherCoreWrapper, StreamCipherSeek};
use aes::Aes256Enc;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use super::key::EncryptionKey;

type HmacSha256 = Hmac<Sha256>;
type Aes256CtrCore = ctr::CtrCore<Aes256Enc, ctr::flavors::Ctr128BE>;

/// Bytes in front of every encrypted file. RocksDB shifts every offset by
/// this much; one page keeps the data of SST blocks page-aligned as it would
/// be without encryption.
pub(crate) const PREFIX_LEN: usize = 4096;
/// Length of a data dir's salt.
pub(crate) const SALT_LEN: usize = 32;
/// Length of a file's nonce: the initial CTR counter block.
pub(crate) const NONCE_LEN: usize = 16;
/// A file's nonce.
pub(crate) type Nonce = [u8; NONCE_LEN];

/// First bytes of every encrypted file (format version 1).
const MAGIC: &[u8; 8] = b"FDYNENC1";
const TAG_LEN: usize = 32;
const NONCE_AT: usize = MAGIC.len();
const TAG_AT: usize = NONCE_AT + NONCE_LEN;
const HEADER_LEN: usize = TAG_AT + TAG_LEN;

/// HKDF `info` strings: one per derived key, so no key serves two purposes.
const DATA_KEY_INFO: &[u8] = b"ferrodyn encryption v1: AES-256-CTR file data";
const CHECK_KEY_INFO: &[u8] = b"ferrodyn encryption v1: key check";
/// What the key-check value of a data dir authenticates.
const MARKER_CHECK_INPUT: &[u8] = b"ferrodyn encryption v1: data dir key check";

/// Why a file's prefix was refused, or a new one could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum PrefixError {
    /// Fewer bytes than a prefix: not a file written encrypted.
    #[error("{0} bytes, too short for an encrypted file")]
    Short(usize),
    /// No ferrodyn magic: the file was written unencrypted (or is damaged).
    #[error("not an encrypted ferrodyn file")]
    NotEncrypted,
    /// The prefix's tag does not verify: another key wrote the file.
    #[error("encrypted with a different key")]
    WrongKey,
    /// The operating system gave no random bytes for the nonce.
    #[error("no random bytes for a file nonce: {0}")]
    Random(String),
}

/// Keys derived for one data dir from the operator's key and the dir's salt.
///
/// The operator's key is never used directly: HKDF-SHA256 (RFC 5869) with the
/// dir's random salt turns it into an AES-256 key for file contents and an
/// HMAC key for key checks, so two dirs under one operator key share no AES
/// key and a rekeyed dir (new salt) shares none with its past.
#[derive(Clone)]
pub(crate) struct DirCipher {
    aes: Aes256Enc,
    check_key: Zeroizing<[u8; 32]>,
}

impl DirCipher {
    /// Derives the keys of the dir whose salt is `salt`.
    pub(crate) fn derive(key: &EncryptionKey, salt: &[u8; SALT_LEN]) -> Self {
        let data_key = hkdf_sha256(salt, key.as_bytes(), DATA_KEY_INFO);
        DirCipher {
            aes: Aes256Enc::new(&(*data_key).into()),
            check_key: hkdf_sha256(salt, key.as_bytes(), CHECK_KEY_INFO),
        }
    }

    /// The value the dir's key-check file stores: only the right key (and
    /// salt) reproduces it.
    pub(crate) fn marker_check(&self) -> [u8; 32] {
        self.mac(&[MARKER_CHECK_INPUT])
    }

    /// True when `check` is this key's key-check value (constant time).
    pub(crate) fn verifies_marker(&self, check: &[u8]) -> bool {
        self.hmac(&[MARKER_CHECK_INPUT]).verify_slice(check).is_ok()
    }

    /// Fills `prefix` for a new file: magic, a fresh random nonce and a tag
    /// binding the nonce to this key; the rest is zero. Nothing in it is
    /// secret.
    pub(crate) fn new_prefix(&self, prefix: &mut [u8]) -> Result<(), PrefixError> {
        if prefix.len() < HEADER_LEN {
            return Err(PrefixError::Short(prefix.len()));
        }
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|e| PrefixError::Random(e.to_string()))?;
        prefix.fill(0);
        prefix[..NONCE_AT].copy_from_slice(MAGIC);
        prefix[NONCE_AT..TAG_AT].copy_from_slice(&nonce);
        let tag = self.mac(&[MAGIC, &nonce]);
        prefix[TAG_AT..HEADER_LEN].copy_from_slice(&tag);
        Ok(())
    }

    /// The nonce of a file whose first bytes are `prefix`, once the prefix is
    /// shown to be ours and written under this key.
    pub(crate) fn open_prefix(&self, prefix: &[u8]) -> Result<Nonce, PrefixError> {
        if prefix.len() < PREFIX_LEN {
            return Err(PrefixError::Short(prefix.len()));
        }
        if &prefix[..NONCE_AT] != MAGIC {
            return Err(PrefixError::NotEncrypted);
        }
        let nonce: Nonce = prefix[NONCE_AT..TAG_AT].try_into().expect("16 bytes");
        self.hmac(&[MAGIC, &nonce])
            .verify_slice(&prefix[TAG_AT..HEADER_LEN])
            .map_err(|_| PrefixError::WrongKey)?;
        Ok(nonce)
    }

    /// Encrypts or decrypts (the same XOR) `data`, which sits at byte
    /// `file_offset` of the file with `nonce`. Offsets count from the start
    /// of the file, prefix included, so every byte position of a file has
    /// its own keystream byte.
    pub(crate) fn apply(&self, nonce: &Nonce, file_offset: u64, data: &mut [u8]) {
        let mut stream = StreamCipherCoreWrapper::from_core(Aes256CtrCore::inner_iv_init(
            self.aes.clone(),
            &(*nonce).into(),
        ));
        stream.seek(file_offset);
        stream.apply_keystream(data);
    }

    fn hmac(&self, parts: &[&[u8]]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.check_key[..]).expect("any key length");
        for part in parts {
            mac.update(part);
        }
        mac
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        self.hmac(parts).finalize().into_bytes().into()
    }
}

/// True when `bytes` begin like a file written encrypted, under any key.
pub(crate) fn has_encrypted_prefix(bytes: &[u8]) -> bool {
    bytes.len() >= PREFIX_LEN && bytes.starts_with(MAGIC)
}

impl std::fmt::Debug for DirCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DirCipher(<redacted>)")
    }
}

/// HKDF-SHA256 (RFC 5869) with a 32-byte output: one HMAC to extract, one to
/// expand.
fn hkdf_sha256(salt: &[u8], ikm: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut extract = HmacSha256::new_from_slice(salt).expect("any key length");
    extract.update(ikm);
    let prk: Zeroizing<[u8; 32]> = Zeroizing::new(extract.finalize().into_bytes().into());
    let mut expand = HmacSha256::new_from_slice(&prk[..]).expect("any key length");
    expand.update(info);
    expand.update(&[1]);
    Zeroizing::new(expand.finalize().into_bytes().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> EncryptionKey {
        EncryptionKey::from_bytes([byte; 32]).unwrap()
    }

    #[test]
    fn hkdf_matches_rfc5869_test_case_3_prefix() {
        // RFC 5869, test case 3: empty salt and info, 22-byte IKM of 0x0b.
        let okm = hkdf_sha256(&[], &[0x0b; 22], &[]);
        assert_eq!(
            hex::encode(&okm[..]),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
        );
    }

    #[test]
    fn keystream_is_aes256_ctr_at_the_file_offset() {
        // NIST SP 800-38A F.5.5 (CTR-AES256.Encrypt), blocks 1 and 2.
        let mut c = DirCipher::derive(&key(1), &[0; SALT_LEN]);
        let aes_key: [u8; 32] =
            hex::decode("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
                .unwrap()
                .try_into()
                .unwrap();
        c.aes = Aes256Enc::new(&aes_key.into());
        let nonce: Nonce = hex::decode("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
            .unwrap()
            .try_into()
            .unwrap();
        let mut data =
            hex::decode("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
                .unwrap();
        c.apply(&nonce, 0, &mut data);
        assert_eq!(
            hex::encode(&data),
            "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
        );
        // Any sub-range at its own offset gives the same bytes.
        let mut tail = hex::decode("8a571e03ac9c9eb76fac45af8e51").unwrap();
        c.apply(&nonce, 18, &mut tail);
        assert_eq!(hex::encode(&tail), hex::encode(&data[18..]));
    }

    #[test]
    fn prefix_roundtrip_gives_the_same_nonce_and_fresh_nonces_differ() {
        let c = DirCipher::derive(&key(1), &[9; SALT_LEN]);
        let mut a = vec![0xaa; PREFIX_LEN];
        let mut b = vec![0xaa; PREFIX_LEN];
        c.new_prefix(&mut a).unwrap();
        c.new_prefix(&mut b).unwrap();
        assert_eq!(&a[..8], MAGIC);
        assert!(a[HEADER_LEN..].iter().all(|&x| x == 0));
        let (na, nb) = (c.open_prefix(&a).unwrap(), c.open_prefix(&b).unwrap());
        assert_eq!(&a[NONCE_AT..TAG_AT], &na);
        assert_ne!(na, nb);
    }

    #[test]
    fn prefix_of_another_key_or_salt_is_refused() {
        let mut prefix = vec![0; PREFIX_LEN];
        DirCipher::derive(&key(1), &[9; SALT_LEN])
            .new_prefix(&mut prefix)
            .unwrap();
        let other_key = DirCipher::derive(&key(2), &[9; SALT_LEN]);
        let other_salt = DirCipher::derive(&key(1), &[8; SALT_LEN]);
        assert_eq!(other_key.open_prefix(&prefix), Err(PrefixError::WrongKey));
        assert_eq!(other_salt.open_prefix(&prefix), Err(PrefixError::WrongKey));
    }

    #[test]
    fn plaintext_and_short_files_are_not_taken_for_encrypted_ones() {
        let c = DirCipher::derive(&key(1), &[9; SALT_LEN]);
        let mut plain = b"MANIFEST-000005\n".to_vec();
        assert_eq!(c.open_prefix(&plain), Err(PrefixError::Short(16)));
        plain.resize(PREFIX_LEN, 0);
        assert_eq!(c.open_prefix(&plain), Err(PrefixError::NotEncrypted));
    }

    #[test]
    fn marker_check_depends_on_key_and_salt() {
        let c = DirCipher::derive(&key(1), &[9; SALT_LEN]);
        let check = c.marker_check();
        assert!(c.verifies_marker(&check));
        assert!(!DirCipher::derive(&key(2), &[9; SALT_LEN]).verifies_marker(&check));
        assert!(!DirCipher::derive(&key(1), &[7; SALT_LEN]).verifies_marker(&check));
        assert!(!c.verifies_marker(&check[..31]));
    }

    /// Keystream throughput over 4 KiB and 64 KiB ranges (RocksDB's usual
    /// block and WAL write sizes). Not an assertion; run with
    /// `cargo test --release -p ferrodyn-storage --lib -- --ignored --nocapture bench_`.
    #[test]
    #[ignore = "benchmark"]
    fn bench_keystream() {
        let c = DirCipher::derive(&key(1), &[9; SALT_LEN]);
        let nonce = [3u8; NONCE_LEN];
        for size in [4096usize, 65536] {
            let mut data = vec![0u8; size];
            let rounds = (1usize << 30) / size;
            let started = std::time::Instant::now();
            for i in 0..rounds {
                c.apply(&nonce, (i * size) as u64, &mut data);
            }
            let secs = started.elapsed().as_secs_f64();
            println!(
                "{size:6} B ranges: {:.2} GB/s, {:.0} ns per range",
                (rounds * size) as f64 / secs / 1e9,
                secs * 1e9 / rounds as f64
            );
        }
    }
}
