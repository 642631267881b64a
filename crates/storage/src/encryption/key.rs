//! The operator's 256-bit key, parsed from a key file or a hex string.

use zeroize::Zeroizing;

/// Length of an [`EncryptionKey`] in bytes.
pub const KEY_LEN: usize = 32;

/// A 256-bit key that encrypts a data dir.
///
/// It is never used as the AES key itself: each data dir derives its own keys
/// from it and a random salt (see the [module docs](crate::encryption)). The
/// bytes are wiped from memory when the last copy is dropped, and `Debug`
/// never prints them.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionKey(Zeroizing<[u8; KEY_LEN]>);

/// Why a key could not be parsed. The messages name the expected form, so they
/// can be shown to the operator as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// A key file is neither 32 raw bytes nor 64 hex digits.
    #[error("an encryption key file must hold 32 raw bytes or 64 hex digits, not {0} bytes")]
    FileLength(usize),
    /// A hex key does not have 64 digits.
    #[error("an encryption key in hex must have 64 hex digits (32 bytes), not {0}")]
    HexLength(usize),
    /// A hex key holds something other than a hex digit.
    #[error("an encryption key in hex may hold only 0-9 and a-f; found {found:?} at position {position}")]
    HexDigit {
        /// The offending character.
        found: char,
        /// Its position (0-based, in characters, after trimming whitespace).
        position: usize,
    },
    /// Every byte of the key is zero: almost surely a mistake, not a key.
    #[error("the encryption key is all zero bytes; make one with `head -c 32 /dev/urandom`")]
    AllZero,
}

impl EncryptionKey {
    /// The key made of exactly these bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Result<Self, KeyError> {
        Self::from_zeroizing(Zeroizing::new(bytes))
    }

    fn from_zeroizing(bytes: Zeroizing<[u8; KEY_LEN]>) -> Result<Self, KeyError> {
        if bytes.iter().all(|&b| b == 0) {
            return Err(KeyError::AllZero);
        }
        Ok(EncryptionKey(bytes))
    }

    /// The key held by a key file: 32 raw bytes (`head -c 32 /dev/urandom`) or,
    /// as a convenience, 64 hex digits with optional surrounding whitespace
    /// (`openssl rand -hex 32`). A file of exactly 32 bytes is always read as
    /// raw bytes.
    pub fn from_file_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if let Ok(raw) = <[u8; KEY_LEN]>::try_from(bytes) {
            return Self::from_bytes(raw);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) if text.trim().len() == 2 * KEY_LEN => Self::from_hex(text),
            _ => Err(KeyError::FileLength(bytes.len())),
        }
    }

    /// The key written as 64 hex digits (either case; surrounding whitespace
    /// is ignored), as in `FERRODYN_ENCRYPTION_KEY`.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        if let Some((position, found)) = text
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_hexdigit())
        {
            return Err(KeyError::HexDigit { found, position });
        }
        if text.len() != 2 * KEY_LEN {
            return Err(KeyError::HexLength(text.len()));
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        hex::decode_to_slice(text, &mut bytes[..]).map_err(|_| KeyError::HexLength(text.len()))?;
        Self::from_zeroizing(bytes)
    }

    /// The raw key bytes, for key derivation only.
    #[cfg_attr(not(feature = "rocksdb"), allow(dead_code))]
    pub(crate) fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EncryptionKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";

    fn expected() -> [u8; KEY_LEN] {
        let mut bytes = [0u8; KEY_LEN];
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = ((i % 16) as u8) * 0x11;
        }
        bytes
    }

    #[test]
    fn hex_key_parses_in_either_case_with_whitespace() {
        let key = EncryptionKey::from_hex(&format!("  {HEX}\n")).unwrap();
        assert_eq!(key.as_bytes(), &expected());
    }

    #[test]
    fn hex_key_of_wrong_length_names_the_length() {
        let err = EncryptionKey::from_hex(&HEX[..62]).unwrap_err();
        assert_eq!(err, KeyError::HexLength(62));
        assert_eq!(
            err.to_string(),
            "an encryption key in hex must have 64 hex digits (32 bytes), not 62"
        );
    }

    #[test]
    fn hex_key_with_a_bad_digit_names_its_position() {
        let bad = format!("{}g{}", &HEX[..10], &HEX[11..]);
        let err = EncryptionKey::from_hex(&bad).unwrap_err();
        assert_eq!(
            err,
            KeyError::HexDigit {
                found: 'g',
                position: 10
            }
        );
    }

    #[test]
    fn key_file_of_32_raw_bytes_is_the_key() {
        let key = EncryptionKey::from_file_bytes(&expected()).unwrap();
        assert_eq!(key.as_bytes(), &expected());
    }

    #[test]
    fn key_file_may_hold_hex_with_a_newline() {
        let key = EncryptionKey::from_file_bytes(format!("{HEX}\n").as_bytes()).unwrap();
        assert_eq!(key.as_bytes(), &expected());
    }

    #[test]
    fn key_file_of_another_length_is_refused() {
        let err = EncryptionKey::from_file_bytes(&[7u8; 33]).unwrap_err();
        assert_eq!(err, KeyError::FileLength(33));
        assert_eq!(
            err.to_string(),
            "an encryption key file must hold 32 raw bytes or 64 hex digits, not 33 bytes"
        );
        assert_eq!(
            EncryptionKey::from_file_bytes(b""),
            Err(KeyError::FileLength(0))
        );
    }

    #[test]
    fn all_zero_key_is_refused() {
        assert_eq!(
            EncryptionKey::from_file_bytes(&[0u8; KEY_LEN]),
            Err(KeyError::AllZero)
        );
        assert_eq!(
            EncryptionKey::from_hex(&"0".repeat(64)),
            Err(KeyError::AllZero)
        );
    }

    #[test]
    fn debug_output_hides_the_key() {
        let key = EncryptionKey::from_hex(HEX).unwrap();
        let shown = format!("{key:?}");
        assert_eq!(shown, "EncryptionKey(<redacted>)");
        assert!(!shown.contains("0011"));
    }
}
