//! Timestamps as the protocols write them.
//!
//! JSON protocols send epoch seconds as a number; XML protocols send ISO-8601
//! with milliseconds. A [`Timestamp`] serializes as a newtype struct with a
//! marker name, which `serde_json` writes transparently (epoch seconds) and
//! the XML serializer in [`crate::xml`] recognises and formats as ISO-8601.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The newtype name the XML serializer looks for.
pub(crate) const TIMESTAMP_MARKER: &str = "$ballast::Timestamp";

/// A point in time, with millisecond precision, as every protocol carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    millis: i64,
}

impl Timestamp {
    pub fn from_millis(millis: i64) -> Self {
        Timestamp { millis }
    }

    pub fn from_system_time(t: std::time::SystemTime) -> Self {
        let millis = match t.duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
        };
        Timestamp { millis }
    }

    pub fn millis(self) -> i64 {
        self.millis
    }

    /// Epoch seconds with a fractional part, as JSON protocols send them.
    pub fn epoch_seconds(self) -> f64 {
        self.millis as f64 / 1000.0
    }

    /// `2024-05-01T12:00:00.000Z`, as XML protocols send it.
    pub fn to_iso8601(self) -> String {
        let mut out = String::with_capacity(24);
        self.write_iso8601(&mut out);
        out
    }

    /// Appends [`Self::to_iso8601`]'s text to `out`. XML responses write
    /// a timestamp per instance, volume and attachment; pushing the digits
    /// saves the formatter's padding machinery and an allocation each.
    /// Moments outside `time`'s range print as the epoch.
    pub fn write_iso8601(self, out: &mut String) {
        let nanos = i128::from(self.millis) * 1_000_000;
        let t =
            OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH);
        let year = u32::try_from(t.year()).unwrap_or(0);
        push_digits(out, year, 4);
        out.push('-');
        push_digits(out, u32::from(u8::from(t.month())), 2);
        out.push('-');
        push_digits(out, u32::from(t.day()), 2);
        out.push('T');
        push_digits(out, u32::from(t.hour()), 2);
        out.push(':');
        push_digits(out, u32::from(t.minute()), 2);
        out.push(':');
        push_digits(out, u32::from(t.second()), 2);
        out.push('.');
        push_digits(out, u32::from(t.millisecond()), 3);
        out.push('Z');
    }

    /// Parses ISO-8601 / RFC 3339 text, as query protocols send timestamps.
    pub fn parse_iso8601(text: &str) -> Option<Self> {
        let t = OffsetDateTime::parse(text, &Rfc3339).ok()?;
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Timestamp::from_millis)
    }
}

/// Appends the last `width` decimal digits of `value`, zero-padded.
fn push_digits(out: &mut String, value: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = value / 10u32.pow(place) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(TIMESTAMP_MARKER, &self.epoch_seconds())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(f64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(s) => Ok(Timestamp::from_millis((s * 1000.0) as i64)),
            Raw::Text(t) => Timestamp::parse_iso8601(&t)
                .or_else(|| {
                    t.parse::<f64>()
                        .ok()
                        .map(|s| Timestamp::from_millis((s * 1000.0) as i64))
                })
                .ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp '{t}'"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_iso_with_millis() {
        assert_eq!(
            Timestamp::from_millis(1_714_564_800_123).to_iso8601(),
            "2024-05-01T12:00:00.123Z"
        );
    }

    #[test]
    fn formats_edges_of_the_range() {
        assert_eq!(
            Timestamp::from_millis(0).to_iso8601(),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::from_millis(-1).to_iso8601(),
            "1969-12-31T23:59:59.999Z"
        );
        assert_eq!(
            Timestamp::from_millis(253_402_300_799_999).to_iso8601(),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(
            Timestamp::from_millis(i64::MAX).to_iso8601(),
            "1970-01-01T00:00:00.000Z"
        );
    }

    #[test]
    fn parses_iso() {
        assert_eq!(
            Timestamp::parse_iso8601("2024-05-01T12:00:00.123Z"),
            Some(Timestamp::from_millis(1_714_564_800_123))
        );
    }

    #[test]
    fn json_is_epoch_seconds() {
        let json = serde_json::to_string(&Timestamp::from_millis(1_500)).unwrap();
        assert_eq!(json, "1.5");
    }
}
