//! DynamoDB's number type: exact decimals of up to 38 significant digits
//! with magnitudes from 1E-130 to 9.99…E+125, stored normalised.
//!
//! A small decimal of our own rather than a crate: DynamoDB needs exactly
//! four things — parse with its limits and messages, print in one canonical
//! form, compare, and add/subtract exactly (for `+`, `-` and `ADD`) — plus
//! an order-preserving byte encoding for sort keys, which needs the digits
//! and exponent in hand anyway. `bigdecimal` would bring a big-integer
//! dependency, its own (scientific) string forms and no key encoding, and
//! we would still have to enforce the 38-digit and exponent limits around
//! it. Digits here are plain base-10 vectors; every number is at most 38
//! of them, so the arithmetic is trivially fast.

use std::cmp::Ordering;
use std::fmt;

/// The most significant digits DynamoDB keeps.
pub const MAX_DIGITS: usize = 38;
/// With the value written `0.d₁d₂… × 10^E`, the largest `E` (9.99…E+125).
const MAX_EXPONENT: i32 = 126;
/// The smallest `E` (1E-130).
const MIN_EXPONENT: i32 = -129;

/// Why a string is not a DynamoDB number, in DynamoDB's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    #[error("A value provided cannot be converted into a number")]
    Invalid,
    #[error("Attempting to store more than 38 significant digits in a Number")]
    TooPrecise,
    #[error(
        "Number overflow. Attempting to store a number with magnitude larger than supported range"
    )]
    Overflow,
    #[error(
        "Number underflow. Attempting to store a number with magnitude smaller than supported range"
    )]
    Underflow,
}

/// A normalised decimal: `(-1)^negative × 0.d₁d₂…dₙ × 10^exponent` with
/// `d₁ ≠ 0` and `dₙ ≠ 0`, or zero (no digits).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number {
    negative: bool,
    /// Each 0–9; empty for zero.
    digits: Vec<u8>,
    exponent: i32,
}

impl Number {
    /// Zero.
    pub fn zero() -> Number {
        Number {
            negative: false,
            digits: Vec::new(),
            exponent: 0,
        }
    }

    /// Parses DynamoDB's number syntax (Java's `BigDecimal` grammar: an
    /// optional sign, digits with an optional point, an optional exponent)
    /// and checks its limits.
    pub fn parse(text: &str) -> Result<Number, NumberError> {
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if let Some(&sign) = bytes.first()
            && (sign == b'+' || sign == b'-')
        {
            negative = sign == b'-';
            i = 1;
        }
        let mut digits = Vec::new();
        let mut seen_digit = false;
        let mut seen_point = false;
        // Digits after the point, which lower the exponent.
        let mut fraction_digits: i64 = 0;
        while let Some(&c) = bytes.get(i) {
            match c {
                b'0'..=b'9' => {
                    seen_digit = true;
                    if !(digits.is_empty() && c == b'0') {
                        digits.push(c - b'0');
                    }
                    if seen_point {
                        fraction_digits += 1;
                    }
                }
                b'.' if !seen_point => seen_point = true,
                _ => break,
            }
            i += 1;
        }
        if !seen_digit {
            return Err(NumberError::Invalid);
        }
        let mut exp10: i64 = 0;
        if let Some(&c) = bytes.get(i)
            && (c == b'e' || c == b'E')
        {
            i += 1;
            let mut exp_negative = false;
            if let Some(&sign) = bytes.get(i)
                && (sign == b'+' || sign == b'-')
            {
                exp_negative = sign == b'-';
                i += 1;
            }
            let start = i;
            while let Some(&c) = bytes.get(i) {
                if !c.is_ascii_digit() {
                    break;
                }
                // Saturate: anything this large is out of range anyway.
                exp10 = (exp10 * 10 + i64::from(c - b'0')).min(1_000_000_000);
                i += 1;
            }
            if i == start {
                return Err(NumberError::Invalid);
            }
            if exp_negative {
                exp10 = -exp10;
            }
        }
        if i != bytes.len() {
            return Err(NumberError::Invalid);
        }
        // The digits as an integer d₁…dₙ (leading zeros already dropped)
        // times 10^(exp10 - fraction_digits).
        while digits.last() == Some(&0) {
            digits.pop();
            fraction_digits -= 1;
        }
        if digits.is_empty() {
            return Ok(Number::zero());
        }
        let exponent = digits.len() as i64 + exp10 - fraction_digits;
        Number::checked(negative, digits, exponent)
    }

    /// Builds a normalised number from significant digits (no leading or
    /// trailing zeros) and checks DynamoDB's limits.
    fn checked(negative: bool, digits: Vec<u8>, exponent: i64) -> Result<Number, NumberError> {
        if digits.is_empty() {
            return Ok(Number::zero());
        }
        if digits.len() > MAX_DIGITS {
            return Err(NumberError::TooPrecise);
        }
        if exponent > i64::from(MAX_EXPONENT) {
            return Err(NumberError::Overflow);
        }
        if exponent < i64::from(MIN_EXPONENT) {
            return Err(NumberError::Underflow);
        }
        Ok(Number {
            negative,
            digits,
            exponent: exponent as i32,
        })
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// The number of significant digits (0 for zero), which DynamoDB's
    /// item size accounting uses.
    pub fn significant_digits(&self) -> usize {
        self.digits.len()
    }

    /// `self + other`, exactly, within DynamoDB's limits.
    pub fn add(&self, other: &Number) -> Result<Number, NumberError> {
        if self.is_zero() {
            return Ok(other.clone());
        }
        if other.is_zero() {
            return Ok(self.clone());
        }
        // Align both as integers scaled by 10^low, where low is the
        // exponent of the least significant digit.
        let low = self.low_exponent().min(other.low_exponent());
        let a = self.scaled(low);
        let b = other.scaled(low);
        let (negative, magnitude) = if self.negative == other.negative {
            (self.negative, add_magnitudes(&a, &b))
        } else {
            match compare_magnitudes(&a, &b) {
                Ordering::Equal => return Ok(Number::zero()),
                Ordering::Greater => (self.negative, sub_magnitudes(&a, &b)),
                Ordering::Less => (other.negative, sub_magnitudes(&b, &a)),
            }
        };
        Number::from_scaled(negative, magnitude, low)
    }

    /// The smallest integer not below the number, saturated to `i64`
    /// (a 126-digit magnitude is far outside it). Time to Live reads an
    /// epoch-seconds attribute this way: rounding up never expires an item
    /// before its time.
    pub fn ceil_i64(&self) -> i64 {
        if self.is_zero() {
            return 0;
        }
        // |value| = 0.d₁…dₙ × 10^exponent; an i64 has at most 19 digits.
        if self.exponent > 19 {
            return if self.negative { i64::MIN } else { i64::MAX };
        }
        let whole_digits = self.exponent.max(0) as usize;
        let mut whole: i128 = 0;
        for i in 0..whole_digits {
            whole = whole * 10 + i128::from(self.digits.get(i).copied().unwrap_or(0));
        }
        let has_fraction = self.digits.len() > whole_digits;
        let value = if self.negative {
            -whole
        } else {
            whole + i128::from(has_fraction)
        };
        value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// `self - other`, exactly, within DynamoDB's limits.
    pub fn sub(&self, other: &Number) -> Result<Number, NumberError> {
        self.add(&other.negated())
    }

    fn negated(&self) -> Number {
        let mut n = self.clone();
        if !n.is_zero() {
            n.negative = !n.negative;
        }
        n
    }

    /// The exponent of the least significant digit's place.
    fn low_exponent(&self) -> i64 {
        i64::from(self.exponent) - self.digits.len() as i64
    }

    /// The magnitude as integer digits (most significant first) scaled so
    /// the last digit's place is 10^low.
    fn scaled(&self, low: i64) -> Vec<u8> {
        let mut digits = self.digits.clone();
        let pad = (self.low_exponent() - low).max(0) as usize;
        digits.extend(std::iter::repeat_n(0, pad));
        digits
    }

    fn from_scaled(negative: bool, mut digits: Vec<u8>, low: i64) -> Result<Number, NumberError> {
        let leading = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..leading);
        let mut low = low;
        while digits.last() == Some(&0) {
            digits.pop();
            low += 1;
        }
        let exponent = low + digits.len() as i64;
        Number::checked(negative, digits, exponent)
    }

    /// An order-preserving encoding: for numbers `a < b`, the bytes of `a`
    /// sort before those of `b` (as SQLite compares BLOBs, with `memcmp`).
    ///
    /// Layout: a class byte (negative 0x01, zero 0x02, positive 0x03), then
    /// for non-zero numbers the biased exponent as two big-endian bytes and
    /// one byte per digit. Positive numbers compare by exponent, then by
    /// digits, and a shorter digit string that is a prefix of a longer one
    /// is smaller, as 0.12 < 0.123. Negative numbers invert everything —
    /// exponent and digits — and end with 0xFF so that -0.12 (a prefix)
    /// sorts after -0.123.
    pub fn key_bytes(&self) -> Vec<u8> {
        if self.is_zero() {
            return vec![0x02];
        }
        let biased = (self.exponent + 0x8000) as u16;
        let mut out = Vec::with_capacity(self.digits.len() + 4);
        if self.negative {
            out.push(0x01);
            out.extend_from_slice(&(!biased).to_be_bytes());
            out.extend(self.digits.iter().map(|d| 9 - d));
            out.push(0xFF);
        } else {
            out.push(0x03);
            out.extend_from_slice(&biased.to_be_bytes());
            out.extend_from_slice(&self.digits);
        }
        out
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        let sign = |n: &Number| {
            if n.is_zero() {
                0
            } else if n.negative {
                -1
            } else {
                1
            }
        };
        match sign(self).cmp(&sign(other)) {
            Ordering::Equal => {}
            unequal => return unequal,
        }
        if self.is_zero() {
            return Ordering::Equal;
        }
        let magnitude = self
            .exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits));
        if self.negative {
            magnitude.reverse()
        } else {
            magnitude
        }
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The canonical form: plain notation, no exponent, no trailing zeros in
/// the fraction, no `+`, and `0` for zero.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_zero() {
            return f.write_str("0");
        }
        let mut out = String::with_capacity(self.digits.len() + 8);
        if self.negative {
            out.push('-');
        }
        let digit = |d: &u8| char::from(b'0' + d);
        let len = self.digits.len() as i32;
        if self.exponent <= 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-self.exponent) as usize));
            out.extend(self.digits.iter().map(digit));
        } else if self.exponent < len {
            let (whole, fraction) = self.digits.split_at(self.exponent as usize);
            out.extend(whole.iter().map(digit));
            out.push('.');
            out.extend(fraction.iter().map(digit));
        } else {
            out.extend(self.digits.iter().map(digit));
            out.extend(std::iter::repeat_n('0', (self.exponent - len) as usize));
        }
        f.write_str(&out)
    }
}

fn compare_magnitudes(a: &[u8], b: &[u8]) -> Ordering {
    let a = strip_leading(a);
    let b = strip_leading(b);
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

fn strip_leading(digits: &[u8]) -> &[u8] {
    let leading = digits.iter().take_while(|d| **d == 0).count();
    &digits[leading..]
}

fn add_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let len = a.len().max(b.len()) + 1;
    let mut out = vec![0u8; len];
    let mut carry = 0u8;
    for i in 0..len {
        let da = if i < a.len() { a[a.len() - 1 - i] } else { 0 };
        let db = if i < b.len() { b[b.len() - 1 - i] } else { 0 };
        let sum = da + db + carry;
        out[len - 1 - i] = sum % 10;
        carry = sum / 10;
    }
    out
}

/// `a - b` for `a >= b`.
fn sub_magnitudes(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i8;
    for i in 0..a.len() {
        let da = a[a.len() - 1 - i] as i8;
        let db = if i < b.len() {
            b[b.len() - 1 - i] as i8
        } else {
            0
        };
        let mut d = da - db - borrow;
        if d < 0 {
            d += 10;
            borrow = 1;
        } else {
            borrow = 0;
        }
        out[a.len() - 1 - i] = d as u8;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(text: &str) -> Number {
        Number::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn rounds_up_to_whole_numbers() {
        for (input, ceil) in [
            ("0", 0),
            ("1700000000", 1_700_000_000),
            ("1700000000.2", 1_700_000_001),
            ("1.7e9", 1_700_000_000),
            ("0.001", 1),
            ("-0.5", 0),
            ("-2.5", -2),
            ("-3", -3),
            ("1e19", i64::MAX),
            ("9e125", i64::MAX),
            ("-9e125", i64::MIN),
            ("1e-130", 1),
        ] {
            assert_eq!(n(input).ceil_i64(), ceil, "{input}");
        }
    }

    #[test]
    fn parses_and_normalises() {
        for (input, canonical) in [
            ("0", "0"),
            ("-0", "0"),
            ("0.000", "0"),
            ("1", "1"),
            ("+1", "1"),
            ("001.500", "1.5"),
            ("1e3", "1000"),
            ("1.5E-3", "0.0015"),
            (".5", "0.5"),
            ("5.", "5"),
            ("-12.340e1", "-123.4"),
            (
                "123456789012345678901234567890.12345678",
                "123456789012345678901234567890.12345678",
            ),
        ] {
            assert_eq!(n(input).to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn refuses_what_dynamodb_refuses() {
        for bad in [
            "", "-", "abc", "1.2.3", "1e", "1e+", " 1", "1 ", "0x10", "NaN", "Infinity",
        ] {
            assert_eq!(Number::parse(bad), Err(NumberError::Invalid), "{bad:?}");
        }
        assert_eq!(
            Number::parse("1234567890123456789012345678901234567891"),
            Err(NumberError::TooPrecise)
        );
        // Trailing zeros are not significant.
        assert!(Number::parse("12345678901234567890123456789012345678000").is_ok());
        assert_eq!(Number::parse("1e126"), Err(NumberError::Overflow));
        assert!(Number::parse("9.99e125").is_ok());
        assert_eq!(Number::parse("1e-131"), Err(NumberError::Underflow));
        assert!(Number::parse("1e-130").is_ok());
        assert_eq!(
            Number::parse("1e99999999999999"),
            Err(NumberError::Overflow)
        );
    }

    #[test]
    fn orders_like_numbers() {
        let sorted = [
            "-1e125", "-1000", "-10.5", "-10", "-9.99", "-1", "-0.5", "-0.123", "-0.12", "-1e-130",
            "0", "1e-130", "0.12", "0.123", "0.5", "1", "9.99", "10", "10.5", "1000", "1e125",
        ];
        for pair in sorted.windows(2) {
            let (a, b) = (n(pair[0]), n(pair[1]));
            assert_eq!(a.cmp(&b), Ordering::Less, "{} < {}", pair[0], pair[1]);
            assert!(
                a.key_bytes() < b.key_bytes(),
                "key bytes {} < {}",
                pair[0],
                pair[1]
            );
        }
        assert_eq!(n("1.0").key_bytes(), n("1").key_bytes());
    }

    #[test]
    fn adds_and_subtracts_exactly() {
        for (a, b, sum) in [
            ("1", "2", "3"),
            ("0.1", "0.2", "0.3"),
            ("-5", "3", "-2"),
            ("5", "-5", "0"),
            ("99.99", "0.01", "100"),
            ("1e20", "1", "100000000000000000001"),
            ("-0.001", "-0.009", "-0.01"),
        ] {
            assert_eq!(n(a).add(&n(b)).unwrap().to_string(), sum, "{a} + {b}");
        }
        assert_eq!(n("10").sub(&n("0.5")).unwrap().to_string(), "9.5");
        assert_eq!(n("1").sub(&n("1")).unwrap().to_string(), "0");
        assert_eq!(n("1e30").add(&n("1e-30")), Err(NumberError::TooPrecise));
        assert_eq!(n("9.9e125").add(&n("9.9e125")), Err(NumberError::Overflow));
    }
}
