//! Binary members, carried as base64 text by every protocol.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A model `blob`: bytes on our side, base64 on the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Blob(pub Vec<u8>);

impl Serialize for Blob {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Blob {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text.trim())
            .map(Blob)
            .map_err(|_| serde::de::Error::custom("a blob must be base64"))
    }
}

impl crate::Echo for Blob {
    fn echo(&self, out: &mut String) {
        out.push_str("java.nio.HeapByteBuffer[pos=0 lim=");
        out.push_str(&self.0.len().to_string());
        out.push_str(" cap=");
        out.push_str(&self.0.len().to_string());
        out.push(']');
    }
}
