//! DynamoDB's Number (`N`): an exact decimal with up to 38 significant digits and a magnitude
//! between 1E-130 and 1E126 (exclusive), or zero.
//!
//! A [`Number`] is kept normalized as `±coefficient × 10^exponent` with the coefficient's
//! trailing zeros moved into the exponent, so equal values have equal representations and the
//! derived `Eq`/`Hash` are by value. Parsing follows what DynamoDB accepts (a Java
//! `BigDecimal`-like grammar, including a leading `+`); display is DynamoDB's output form: plain
//! decimal notation, no exponent, no leading or trailing zeros (`"1.50"` → `"1.5"`,
//! `"1e3"` → `"1000"`, `"-0"` → `"0"`).

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// Most significant digits a Number may hold.
pub const MAX_DIGITS: usize = 38;
/// Largest allowed decimal exponent of the leading digit (`9.99…E+125`).
pub const MAX_EXPONENT: i32 = 125;
/// Smallest allowed decimal exponent of the leading digit (`1E-130`).
pub const MIN_EXPONENT: i32 = -130;

/// Powers of ten that fit a `u128`: `POW10[i] == 10^i` for `i` in `0..=38`.
pub(crate) const POW10: [u128; 39] = {
    let mut table = [1u128; 39];
    let mut i = 1;
    while i < 39 {
        table[i] = table[i - 1] * 10;
        i += 1;
    }
    table
};

/// `10^38`: every coefficient is below this.
const COEF_LIMIT: u128 = POW10[38];

/// A DynamoDB number: exact decimal, at most 38 significant digits, magnitude in
/// `1E-130 ..< 1E126` or zero.
///
/// Ordering (`Ord`) is by numeric value; equality and hashing are by value too
/// (`"1"`, `"1.0"` and `"10E-1"` are the same `Number`).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Number {
    /// Significant digits without trailing zeros, as the low and high halves of a `u128`
    /// (two `u64`s keep `Number`, and so `AttributeValue`, 8-byte aligned and small); `0` only
    /// for zero. Always `< 10^38`.
    coef: [u64; 2],
    /// Power of ten of the coefficient's last digit; `0` for zero.
    exp: i16,
    /// Number of decimal digits in `coef`; `0` for zero.
    ndigits: u8,
    /// Sign; never set for zero.
    neg: bool,
}

/// Why a string or an arithmetic result is not a valid DynamoDB number. `Display` is
/// DynamoDB's own `ValidationException` message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Not numeric syntax at all (`"abc"`, `"NaN"`, `" 1"`, `""`). Holds the input.
    #[error("{}", not_a_number_message(.0))]
    NotANumber(String),
    /// More than 38 significant digits.
    #[error("Attempting to store more than 38 significant digits in a Number")]
    TooManyDigits,
    /// Magnitude of 1E126 or more. DynamoDB also reports an arithmetic result that would need
    /// more than 38 digits this way.
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    Overflow,
    /// Nonzero magnitude below 1E-130.
    #[error(
        "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    )]
    Underflow,
}

/// DynamoDB omits the `: <input>` suffix when the input is empty.
fn not_a_number_message(input: &str) -> String {
    if input.is_empty() {
        "The parameter cannot be converted to a numeric value".to_owned()
    } else {
        format!("The parameter cannot be converted to a numeric value: {input}")
    }
}

/// A `u128` as `[low, high]` halves.
fn split(v: u128) -> [u64; 2] {
    [v as u64, (v >> 64) as u64]
}

/// Number of decimal digits of a nonzero `v < 10^38`.
fn digit_count(v: u128) -> u8 {
    // POW10 is sorted: the count is the number of powers <= v.
    POW10.partition_point(|&p| p <= v) as u8
}

impl Number {
    /// Parses a number the way DynamoDB accepts it: optional sign (`+` or `-`), digits with at
    /// most one `.` (at least one digit in all), optional exponent `e`/`E` with optional sign
    /// and at least one digit. No whitespace. Exponents of any length are fine (they saturate).
    pub fn parse(s: &str) -> Result<Number, NumberError> {
        let b = s.as_bytes();
        if b.is_empty() {
            return Err(NumberError::NotANumber(String::new()));
        }
        let invalid = || NumberError::NotANumber(s.to_owned());
        let mut i = 0;
        let neg = match b[0] {
            b'-' => {
                i = 1;
                true
            }
            b'+' => {
                i = 1;
                false
            }
            _ => false,
        };

        // Mantissa: digits with at most one '.'.
        let mut int_digits: i64 = 0; // digits before the '.'
        let mut index: i64 = 0; // index of the current digit among all mantissa digits
        let mut seen_dot = false;
        let mut first_sig: Option<i64> = None;
        let mut last_sig: i64 = 0;
        let mut sig_count: u64 = 0; // digits from the first to the last nonzero one
        let mut pending_zeros: u64 = 0; // zeros seen since the last nonzero digit
        let mut coef: u128 = 0;
        while i < b.len() {
            let c = b[i];
            if c.is_ascii_digit() {
                let d = (c - b'0') as u128;
                if !seen_dot {
                    int_digits += 1;
                }
                if d == 0 {
                    if first_sig.is_some() {
                        pending_zeros += 1;
                    }
                } else {
                    if first_sig.is_none() {
                        first_sig = Some(index);
                    }
                    sig_count += pending_zeros + 1;
                    if sig_count <= MAX_DIGITS as u64 {
                        coef = coef * POW10[pending_zeros as usize + 1] + d;
                    }
                    pending_zeros = 0;
                    last_sig = index;
                }
                index += 1;
            } else if c == b'.' && !seen_dot {
                seen_dot = true;
            } else {
                break;
            }
            i += 1;
        }
        if index == 0 {
            return Err(invalid());
        }

        // Exponent.
        let mut exponent: i64 = 0;
        if i < b.len() {
            if b[i] != b'e' && b[i] != b'E' {
                return Err(invalid());
            }
            i += 1;
            let mut exp_neg = false;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                exp_neg = b[i] == b'-';
                i += 1;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                // Saturate far beyond any meaningful exponent; "1e999999999999" must not wrap.
                exponent = (exponent * 10 + (b[i] - b'0') as i64).min(1 << 40);
                i += 1;
            }
            if i == start || i != b.len() {
                return Err(invalid());
            }
            if exp_neg {
                exponent = -exponent;
            }
        }

        let Some(first_sig) = first_sig else {
            return Ok(Number::zero());
        };
        // Power of ten of the leading digit and of the last nonzero digit.
        let adjusted = int_digits - 1 - first_sig + exponent;
        let low = int_digits - 1 - last_sig + exponent;
        // DynamoDB checks the range before the precision.
        if adjusted > MAX_EXPONENT as i64 {
            return Err(NumberError::Overflow);
        }
        if adjusted < MIN_EXPONENT as i64 {
            return Err(NumberError::Underflow);
        }
        if sig_count > MAX_DIGITS as u64 {
            return Err(NumberError::TooManyDigits);
        }
        Ok(Number {
            coef: split(coef),
            exp: low as i16,
            ndigits: sig_count as u8,
            neg,
        })
    }

    /// Zero.
    pub fn zero() -> Number {
        Number {
            coef: [0, 0],
            exp: 0,
            ndigits: 0,
            neg: false,
        }
    }

    /// The exact value of an `i64` (always representable).
    pub fn from_i64(v: i64) -> Number {
        Number::from_parts(v < 0, v.unsigned_abs() as u128, 0).expect("every i64 is a valid Number")
    }

    /// Builds `±coef × 10^exp`, normalizing trailing zeros and checking precision and range.
    pub(crate) fn from_parts(neg: bool, mut coef: u128, exp: i32) -> Result<Number, NumberError> {
        if coef == 0 {
            return Ok(Number::zero());
        }
        let mut exp = exp as i64;
        while coef.is_multiple_of(10) {
            coef /= 10;
            exp += 1;
        }
        if coef >= COEF_LIMIT {
            return Err(NumberError::TooManyDigits);
        }
        let ndigits = digit_count(coef);
        let adjusted = exp + ndigits as i64 - 1;
        if adjusted > MAX_EXPONENT as i64 {
            return Err(NumberError::Overflow);
        }
        if adjusted < MIN_EXPONENT as i64 {
            return Err(NumberError::Underflow);
        }
        Ok(Number {
            coef: split(coef),
            exp: exp as i16,
            ndigits,
            neg,
        })
    }

    /// Exact sum. A result needing more than 38 significant digits or out of range is
    /// [`NumberError::Overflow`] (what DynamoDB reports for both), one below 1E-130 is
    /// [`NumberError::Underflow`].
    pub fn checked_add(&self, other: &Number) -> Result<Number, NumberError> {
        if other.is_zero() {
            return Ok(*self);
        }
        if self.is_zero() {
            return Ok(*other);
        }
        // Align on the smaller exponent: big = the operand with the larger exponent.
        let (big, small) = if self.exp >= other.exp {
            (self, other)
        } else {
            (other, self)
        };
        let shift = (big.exp as i32 - small.exp as i32) as u32;
        if shift > MAX_DIGITS as u32 {
            // The lowest nonzero digit of `small` survives in the result, and the result reaches
            // at least 10^(shift-1) above it: more than 38 digits.
            return Err(NumberError::Overflow);
        }
        let a = Wide::shifted(big.coef(), shift);
        let b = Wide::shifted(small.coef(), 0);
        let (neg, mag) = if big.neg == small.neg {
            (big.neg, a.add(b))
        } else {
            match a.cmp(&b) {
                Ordering::Equal => return Ok(Number::zero()),
                Ordering::Greater => (big.neg, a.sub(b)),
                Ordering::Less => (small.neg, b.sub(a)),
            }
        };
        let (coef, exp) = mag
            .normalize(small.exp as i64)
            .ok_or(NumberError::Overflow)?;
        Number::from_parts(neg, coef, exp as i32).map_err(|e| match e {
            NumberError::TooManyDigits => NumberError::Overflow,
            other => other,
        })
    }

    /// Exact difference `self - other`, with the errors of [`Number::checked_add`].
    pub fn checked_sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.checked_add(&other.negated())
    }

    /// The number with its sign flipped (zero stays zero).
    pub fn negated(&self) -> Number {
        Number {
            neg: !self.neg && !self.is_zero(),
            ..*self
        }
    }

    /// Whether this is zero.
    pub fn is_zero(&self) -> bool {
        self.coef == [0, 0]
    }

    /// Whether this is below zero.
    pub fn is_negative(&self) -> bool {
        self.neg
    }

    /// Significant digits (leading and trailing zeros don't count); `0` for zero.
    pub fn significant_digits(&self) -> usize {
        self.ndigits as usize
    }

    /// Decimal exponent of the leading digit (`1.5` → 0, `120` → 2, `0.01` → -2); `0` for zero.
    pub fn adjusted_exponent(&self) -> i32 {
        if self.is_zero() {
            0
        } else {
            self.exp as i32 + self.ndigits as i32 - 1
        }
    }

    /// The significant digits as an integer (`0` for zero).
    pub fn coefficient(&self) -> u128 {
        self.coef()
    }

    fn coef(&self) -> u128 {
        self.coef[0] as u128 | (self.coef[1] as u128) << 64
    }

    /// Power of ten of the last significant digit, so `value = ±coefficient × 10^exponent`.
    pub fn exponent(&self) -> i32 {
        self.exp as i32
    }

    /// The value as an `i64` when it is an integer in `i64`'s range.
    pub fn to_i64(&self) -> Option<i64> {
        if self.is_zero() {
            return Some(0);
        }
        if self.exp < 0 || self.exp > 19 {
            return None;
        }
        let mag = self.coef().checked_mul(POW10[self.exp as usize])?;
        if self.neg {
            if mag <= 1u128 << 63 {
                Some((mag as i128).wrapping_neg() as i64)
            } else {
                None
            }
        } else {
            i64::try_from(mag).ok()
        }
    }

    /// The nearest `f64` (correctly rounded).
    pub fn to_f64(&self) -> f64 {
        let sign = if self.neg { "-" } else { "" };
        format!("{sign}{}e{}", self.coef(), self.exp)
            .parse()
            .unwrap_or(0.0)
    }

    /// DynamoDB's size of the number in bytes (for item size and capacity units).
    ///
    /// The AWS guide gives "approximately 1 byte per two significant digits + 1 byte". The exact
    /// rule used here counts base-100 digit pairs aligned on the decimal point (as in a
    /// base-100 decimal format), plus 1 byte, plus 1 more for a negative number; zero is 1 byte.
    /// It is dynalite's formula (checked there against DynamoDB's consumed capacity), and
    /// dynoxide measured the extra negative byte against DynamoDB. It differs from the guide's
    /// approximation when the digits straddle a pair boundary: `1.5` is 3 bytes, `-1` is 3.
    pub fn size(&self) -> usize {
        if self.is_zero() {
            return 1;
        }
        let high = self.adjusted_exponent() as i64;
        let low = self.exp as i64;
        let pairs = high.div_euclid(2) - low.div_euclid(2) + 1;
        1 + pairs as usize + usize::from(self.neg)
    }

    /// Compares magnitudes of two nonzero numbers.
    fn cmp_magnitude(&self, other: &Number) -> Ordering {
        match self.adjusted_exponent().cmp(&other.adjusted_exponent()) {
            Ordering::Equal => {}
            ord => return ord,
        }
        // Same leading-digit position: compare the digits left-aligned.
        let (na, nb) = (self.ndigits, other.ndigits);
        if na <= nb {
            (self.coef() * POW10[(nb - na) as usize]).cmp(&other.coef())
        } else {
            self.coef().cmp(&(other.coef() * POW10[(na - nb) as usize]))
        }
    }

    /// Writes the coefficient's digits into `buf`, returning the used tail.
    fn coef_digits(&self, buf: &mut [u8; 40]) -> usize {
        let mut v = self.coef();
        let mut pos = buf.len();
        loop {
            pos -= 1;
            buf[pos] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        pos
    }
}

impl Default for Number {
    fn default() -> Self {
        Number::zero()
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| -> i8 {
            if n.is_zero() {
                0
            } else if n.neg {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb || sa == 0 {
            return sa.cmp(&sb);
        }
        let mag = self.cmp_magnitude(other);
        if sa < 0 {
            mag.reverse()
        } else {
            mag
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use fmt::Write;
        if self.is_zero() {
            return f.write_char('0');
        }
        if self.neg {
            f.write_char('-')?;
        }
        let mut buf = [0u8; 40];
        let start = self.coef_digits(&mut buf);
        // All bytes are ASCII digits.
        let digits = std::str::from_utf8(&buf[start..]).map_err(|_| fmt::Error)?;
        let n = digits.len() as i32;
        let exp = self.exp as i32;
        if exp >= 0 {
            f.write_str(digits)?;
            for _ in 0..exp {
                f.write_char('0')?;
            }
        } else if n + exp > 0 {
            let point = (n + exp) as usize;
            f.write_str(&digits[..point])?;
            f.write_char('.')?;
            f.write_str(&digits[point..])?;
        } else {
            f.write_str("0.")?;
            for _ in 0..-(n + exp) {
                f.write_char('0')?;
            }
            f.write_str(digits)?;
        }
        Ok(())
    }
}

impl fmt::Debug for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Number({self})")
    }
}

impl FromStr for Number {
    type Err = NumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Number::parse(s)
    }
}

impl From<i64> for Number {
    fn from(v: i64) -> Self {
        Number::from_i64(v)
    }
}

impl std::ops::Neg for Number {
    type Output = Number;

    fn neg(self) -> Number {
        self.negated()
    }
}

/// An unsigned integer below `2 × 10^76`, as `hi × 10^38 + lo` with `lo < 10^38`: wide enough
/// for the exact sum of two aligned 38-digit coefficients at most 38 places apart.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Wide {
    hi: u128,
    lo: u128,
}

impl Wide {
    /// `c × 10^k` for `c < 10^38`, `k <= 38`.
    fn shifted(c: u128, k: u32) -> Wide {
        if k == 0 {
            return Wide { hi: 0, lo: c };
        }
        let split = POW10[(38 - k) as usize];
        Wide {
            hi: c / split,
            lo: (c % split) * POW10[k as usize],
        }
    }

    fn add(self, o: Wide) -> Wide {
        let lo = self.lo + o.lo; // < 2 × 10^38 < 2^128
        if lo >= COEF_LIMIT {
            Wide {
                hi: self.hi + o.hi + 1,
                lo: lo - COEF_LIMIT,
            }
        } else {
            Wide {
                hi: self.hi + o.hi,
                lo,
            }
        }
    }

    /// `self - o` for `self >= o`.
    fn sub(self, o: Wide) -> Wide {
        if self.lo >= o.lo {
            Wide {
                hi: self.hi - o.hi,
                lo: self.lo - o.lo,
            }
        } else {
            Wide {
                hi: self.hi - o.hi - 1,
                lo: self.lo + COEF_LIMIT - o.lo,
            }
        }
    }

    /// Strips trailing zeros into the exponent; `None` when more than 38 digits remain.
    fn normalize(mut self, mut exp: i64) -> Option<(u128, i64)> {
        while (self.hi != 0 || self.lo != 0) && self.lo.is_multiple_of(10) {
            self.lo = (self.hi % 10) * POW10[37] + self.lo / 10;
            self.hi /= 10;
            exp += 1;
        }
        (self.hi == 0).then_some((self.lo, exp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Number {
        Number::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn norm(s: &str) -> String {
        n(s).to_string()
    }

    #[test]
    fn normalizes_like_dynamodb() {
        for (input, out) in [
            ("1.50", "1.5"),
            ("01", "1"),
            ("-0", "0"),
            ("+0", "0"),
            ("0.0", "0"),
            ("000", "0"),
            ("1e3", "1000"),
            ("1E-3", "0.001"),
            ("1.5E+3", "1500"),
            ("1e+2", "100"),
            ("+5", "5"),
            ("+1.5", "1.5"),
            ("+1e2", "100"),
            ("-7", "-7"),
            ("00042", "42"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-.5", "-0.5"),
            ("+.5", "0.5"),
            ("0001.23", "1.23"),
            ("-17e5", "-1700000"),
            ("-7.1234", "-7.1234"),
            ("123.4500", "123.45"),
            ("100", "100"),
            ("0.000100", "0.0001"),
            ("12.34e1", "123.4"),
            ("12.34e-5", "0.0001234"),
            ("0e1000", "0"),
            ("0e-99999999999999999999999", "0"),
            ("-0.000e5", "0"),
        ] {
            assert_eq!(norm(input), out, "input {input}");
        }
    }

    #[test]
    fn extreme_values_display_in_full() {
        assert_eq!(norm("1e125"), format!("1{}", "0".repeat(125)));
        assert_eq!(norm("1e-130"), format!("0.{}1", "0".repeat(129)));
        assert_eq!(norm("-9.99999999e125").len(), 127);
    }

    #[test]
    fn rejects_non_numbers_with_dynamodb_message() {
        for s in [
            "NaN",
            "Infinity",
            "-Infinity",
            "-NaN",
            "dog",
            "-dog",
            " 1",
            "1 ",
            "1 2",
            ".",
            "-",
            "+",
            "e5",
            "+e2",
            "1e",
            "1e+",
            "1e-",
            "1+2",
            "1.2.3",
            "++5",
            "--5",
            "1_000",
            "0x10",
            "1e5.5",
            "1,5",
            "١",
        ] {
            let err = Number::parse(s).unwrap_err();
            assert_eq!(err, NumberError::NotANumber(s.to_owned()));
            assert_eq!(
                err.to_string(),
                format!("The parameter cannot be converted to a numeric value: {s}")
            );
        }
    }

    #[test]
    fn empty_string_message_has_no_suffix() {
        assert_eq!(
            Number::parse("").unwrap_err().to_string(),
            "The parameter cannot be converted to a numeric value"
        );
    }

    #[test]
    fn thirty_eight_digits_are_the_limit() {
        let d38 = "12345678901234567890123456789012345678";
        assert_eq!(norm(d38), d38);
        assert_eq!(n(d38).significant_digits(), 38);
        for s in [
            "123456789012345678901234567890123456789",
            "-1.23456789012345678901234567890123456789",
            "3.14159265358979323846264338327950288419",
            "314159265358979323846.264338327950288419",
            "314159265358979323846264338327950288419e30",
        ] {
            let err = Number::parse(s).unwrap_err();
            assert_eq!(err, NumberError::TooManyDigits, "{s}");
            assert_eq!(
                err.to_string(),
                "Attempting to store more than 38 significant digits in a Number"
            );
        }
        for s in [
            "3.1415926535897932384626433832795028841",
            "314159265358979323846.26433832795028841",
            "31415926535897932384626433832795028841e30",
        ] {
            assert_eq!(n(s).significant_digits(), 38, "{s}");
        }
    }

    #[test]
    fn leading_and_trailing_zeros_are_not_significant() {
        assert_eq!(n("000001000000").significant_digits(), 1);
        assert_eq!(n("0.00000100").significant_digits(), 1);
        assert_eq!(n("101").significant_digits(), 3);
        assert_eq!(n("0").significant_digits(), 0);
        // 38 significant digits padded with many zeros on both sides are fine.
        let s = format!(
            "{}12345678901234567890123456789012345678{}",
            "0".repeat(100),
            "0".repeat(50)
        );
        assert_eq!(n(&s).significant_digits(), 38);
        let s = format!("0.{}1{}", "0".repeat(100), "0".repeat(500));
        assert_eq!(n(&s).to_string(), format!("0.{}1", "0".repeat(100)));
    }

    #[test]
    fn magnitude_limits() {
        let overflow = "Number overflow. Attempting to store a number with magnitude larger than supported range";
        let underflow = "Number underflow. Attempting to store a number with magnitude smaller than supported range";
        for s in [
            "1e126",
            "-1e126",
            "11e125",
            "10e125",
            "1e999999999999",
            "1e99999999999999999999999999",
        ] {
            let err = Number::parse(s).unwrap_err();
            assert_eq!(err.to_string(), overflow, "{s}");
        }
        for s in ["1e-131", "-1e-131", "0.9e-130", "1e-999999999999999999999"] {
            let err = Number::parse(s).unwrap_err();
            assert_eq!(err.to_string(), underflow, "{s}");
        }
        for s in [
            "1e125",
            "-1e125",
            "9.99999999e125",
            "9.9999999999999999999999999999999999999e125",
            "1e-130",
            "-1e-130",
            "1.234e-130",
            "1e10",
            "1e100",
            "1e-100",
        ] {
            n(s);
        }
        // The smallest digit may be far below 1e-130 as long as the leading one is not.
        assert_eq!(
            n("1.2345678901234567890123456789012345678e-130").exponent(),
            -167
        );
    }

    #[test]
    fn range_is_checked_before_precision() {
        let s = format!("{}e200", "1".repeat(40));
        assert_eq!(Number::parse(&s).unwrap_err(), NumberError::Overflow);
        let s = format!("0.{}e-200", "1".repeat(40));
        assert_eq!(Number::parse(&s).unwrap_err(), NumberError::Underflow);
    }

    #[test]
    fn huge_inputs_do_not_blow_up() {
        let long_zeros = format!("{}1", "0".repeat(1_000_000));
        assert_eq!(norm(&long_zeros), "1");
        let long_digits = "9".repeat(100_000);
        assert_eq!(
            Number::parse(&long_digits).unwrap_err(),
            NumberError::Overflow
        );
        let e = format!("1e{}", "9".repeat(10_000));
        assert_eq!(Number::parse(&e).unwrap_err(), NumberError::Overflow);
        let e = format!("1e-{}", "9".repeat(10_000));
        assert_eq!(Number::parse(&e).unwrap_err(), NumberError::Underflow);
    }

    #[test]
    fn equality_and_hash_are_by_value() {
        use std::collections::HashSet;
        assert_eq!(n("1"), n("1.0"));
        assert_eq!(n("1"), n("10E-1"));
        assert_eq!(n("-0"), n("0"));
        assert_eq!(n("1e2"), n("100"));
        let set: HashSet<Number> = ["1", "1.0", "1e0", "0.1e1"].iter().map(|s| n(s)).collect();
        assert_eq!(set.len(), 1);
    }

    #[test]
    fn ordering_is_numeric() {
        let sorted = [
            "-1e125",
            "-100",
            "-99.5",
            "-10",
            "-1",
            "-0.5",
            "-1e-130",
            "0",
            "1e-130",
            "0.001",
            "0.5",
            "1",
            "1.0000001",
            "9",
            "10",
            "10.5",
            "99",
            "100",
            "1e125",
        ];
        for (i, a) in sorted.iter().enumerate() {
            for (j, b) in sorted.iter().enumerate() {
                assert_eq!(n(a).cmp(&n(b)), i.cmp(&j), "{a} vs {b}");
            }
        }
        assert_eq!(n("2").cmp(&n("10")), Ordering::Less);
        assert_eq!(n("0.12").cmp(&n("0.119")), Ordering::Greater);
        assert_eq!(n("-0.12").cmp(&n("-0.119")), Ordering::Less);
    }

    #[test]
    fn addition_is_exact() {
        let add = |a: &str, b: &str| n(a).checked_add(&n(b)).map(|r| r.to_string());
        let sub = |a: &str, b: &str| n(a).checked_sub(&n(b)).map(|r| r.to_string());
        assert_eq!(
            add("1", "10000000000000000000000").unwrap(),
            "10000000000000000000001"
        );
        assert_eq!(
            sub("10000000000000000000000", "1").unwrap(),
            "9999999999999999999999"
        );
        assert_eq!(add("0.1", "0.2").unwrap(), "0.3");
        assert_eq!(add("1.5", "-1.5").unwrap(), "0");
        assert_eq!(add("-1.5", "0.25").unwrap(), "-1.25");
        assert_eq!(sub("0", "5").unwrap(), "-5");
        assert_eq!(add("0", "0").unwrap(), "0");
        assert_eq!(add("1e100", "1e100").unwrap(), n("2e100").to_string());
        assert_eq!(
            add("99999999999999999999999999999999999999", "1").unwrap(),
            n("1e38").to_string()
        );
        assert_eq!(
            add("-99999999999999999999999999999999999999", "-1").unwrap(),
            n("-1e38").to_string()
        );
        // 38 places apart is still representable when the result fits.
        assert_eq!(add("1e37", "1").unwrap(), format!("1{}1", "0".repeat(36)));
        assert_eq!(sub("1e38", "1").unwrap(), "9".repeat(38));
        assert_eq!(
            add("12345678901234567890123456789012345678", "0.5").unwrap_err(),
            NumberError::Overflow
        );
        assert_eq!(add("1e-130", "-1e-130").unwrap(), "0");
        assert_eq!(
            add("1.1e-130", "-1e-130").unwrap_err(),
            NumberError::Underflow
        );
        assert_eq!(add("1.1e-129", "-1e-129").unwrap(), n("1e-130").to_string());
    }

    #[test]
    fn addition_errors_match_dynamodb() {
        // DynamoDB reports a result needing more than 38 digits as an overflow.
        assert_eq!(
            n("1e50").checked_add(&n("1")).unwrap_err(),
            NumberError::Overflow
        );
        assert_eq!(
            n("1e50").checked_sub(&n("1")).unwrap_err(),
            NumberError::Overflow
        );
        assert_eq!(
            n("1e125").checked_add(&n("1e-130")).unwrap_err(),
            NumberError::Overflow
        );
        assert_eq!(
            n("9e125").checked_add(&n("9e125")).unwrap_err(),
            NumberError::Overflow
        );
        assert_eq!(
            n("9e125").checked_sub(&n("-9e125")).unwrap_err(),
            NumberError::Overflow
        );
        assert_eq!(
            n("-9e125").checked_add(&n("-9e125")).unwrap_err(),
            NumberError::Overflow
        );
    }

    #[test]
    fn integer_conversions() {
        for v in [
            0,
            1,
            -1,
            42,
            -42,
            1000,
            i64::MAX,
            i64::MIN,
            i64::MAX - 1,
            i64::MIN + 1,
        ] {
            let num = Number::from_i64(v);
            assert_eq!(num.to_i64(), Some(v));
            assert_eq!(num.to_string(), v.to_string());
            assert_eq!(num, n(&v.to_string()));
        }
        assert_eq!(n("1.5").to_i64(), None);
        assert_eq!(n("9223372036854775808").to_i64(), None);
        assert_eq!(n("-9223372036854775809").to_i64(), None);
        assert_eq!(n("1e20").to_i64(), None);
        assert_eq!(n("1e18").to_i64(), Some(1_000_000_000_000_000_000));
        assert_eq!(n("1.0").to_i64(), Some(1));
    }

    #[test]
    fn float_conversion() {
        assert_eq!(n("1.5").to_f64(), 1.5);
        assert_eq!(n("-0.1").to_f64(), -0.1);
        assert_eq!(n("0").to_f64(), 0.0);
        assert_eq!(n("1e125").to_f64(), 1e125);
        assert_eq!(n("1e-130").to_f64(), 1e-130);
        assert_eq!(n("12345678901234567890").to_f64(), 12345678901234567890.0);
    }

    #[test]
    fn sizes_follow_base_100_digit_pairs() {
        for (s, size) in [
            ("0", 1),
            ("1", 2),
            ("12", 2),
            ("123", 3),
            ("1234", 3),
            ("100", 2),
            ("-1", 3),
            ("-42", 3),
            ("1.5", 3),
            ("0.5", 2),
            ("0.05", 2),
            ("12.34", 3),
            ("1.05", 3),
            ("12e9", 3),
            ("1e10", 2),
            ("12345678901234567890123456789012345678", 20),
            ("1.2345678901234567890123456789012345678", 21),
        ] {
            assert_eq!(n(s).size(), size, "{s}");
        }
    }

    #[test]
    fn numbers_stay_small() {
        assert_eq!(std::mem::size_of::<Number>(), 24);
        assert_eq!(std::mem::size_of::<crate::AttributeValue>(), 32);
    }

    #[test]
    fn parts_accessors() {
        let v = n("-123.45");
        assert_eq!(v.coefficient(), 12345);
        assert_eq!(v.exponent(), -2);
        assert_eq!(v.adjusted_exponent(), 2);
        assert!(v.is_negative());
        assert!(!v.is_zero());
        assert_eq!((-v).to_string(), "123.45");
        assert_eq!((-Number::zero()).to_string(), "0");
        assert!(!(-Number::zero()).is_negative());
    }
}
