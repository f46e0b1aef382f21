//! Decoding a `Transfer-Encoding: chunked` body as it arrives.

use bytes::{Bytes, BytesMut};

/// A chunk-size line (with extensions) or a trailer line longer than this
/// is refused.
const MAX_LINE: usize = 4096;

/// Where the decoder is in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Decoder {
    /// Before a chunk-size line.
    #[default]
    Size,
    /// Inside a chunk, with this many bytes left.
    Data(u64),
    /// After a chunk's data, before its CRLF.
    DataEnd,
    /// In the trailer section, after the last chunk.
    Trailer,
    Done,
}

/// What the buffered bytes gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    Data(Bytes),
    /// More bytes are needed.
    More,
    /// The body is complete.
    End,
}

/// Why a chunked body was refused.
#[derive(Debug, thiserror::Error)]
#[error("malformed chunked body: {0}")]
pub struct ChunkedError(&'static str);

impl Decoder {
    /// Consumes what it can of `buffer`: the next piece of data, or the end.
    pub fn decode(&mut self, buffer: &mut BytesMut) -> Result<Decoded, ChunkedError> {
        loop {
            match *self {
                Decoder::Size => {
                    let Some(line) = take_line(buffer)? else {
                        return Ok(Decoded::More);
                    };
                    let size = parse_size(&line)?;
                    *self = if size == 0 {
                        Decoder::Trailer
                    } else {
                        Decoder::Data(size)
                    };
                }
                Decoder::Data(left) => {
                    if buffer.is_empty() {
                        return Ok(Decoded::More);
                    }
                    let n = usize::try_from(left).map_or(buffer.len(), |l| l.min(buffer.len()));
                    let rest = left - n as u64;
                    *self = if rest == 0 {
                        Decoder::DataEnd
                    } else {
                        Decoder::Data(rest)
                    };
                    return Ok(Decoded::Data(buffer.split_to(n).freeze()));
                }
                Decoder::DataEnd => {
                    let Some(line) = take_line(buffer)? else {
                        return Ok(Decoded::More);
                    };
                    if !line.is_empty() {
                        return Err(ChunkedError("chunk data longer than its size"));
                    }
                    *self = Decoder::Size;
                }
                Decoder::Trailer => {
                    let Some(line) = take_line(buffer)? else {
                        return Ok(Decoded::More);
                    };
                    if line.is_empty() {
                        *self = Decoder::Done;
                    }
                }
                Decoder::Done => return Ok(Decoded::End),
            }
        }
    }
}

/// Takes one line (without its CRLF or LF) off the front of `buffer`.
fn take_line(buffer: &mut BytesMut) -> Result<Option<BytesMut>, ChunkedError> {
    match buffer.iter().position(|b| *b == b'\n') {
        Some(end) => {
            let mut line = buffer.split_to(end + 1);
            line.truncate(end);
            if line.last() == Some(&b'\r') {
                line.truncate(end - 1);
            }
            Ok(Some(line))
        }
        None if buffer.len() > MAX_LINE => Err(ChunkedError("line too long")),
        None => Ok(None),
    }
}

/// The hexadecimal size at the start of a chunk-size line.
fn parse_size(line: &[u8]) -> Result<u64, ChunkedError> {
    let digits = line
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    if digits.is_empty() {
        return Err(ChunkedError("empty chunk size"));
    }
    let mut size: u64 = 0;
    for digit in digits {
        let value = (*digit as char)
            .to_digit(16)
            .ok_or(ChunkedError("chunk size is not hexadecimal"))?;
        size = size
            .checked_mul(16)
            .and_then(|s| s.checked_add(u64::from(value)))
            .ok_or(ChunkedError("chunk size overflows"))?;
    }
    Ok(size)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `input` fed `step` bytes at a time.
    fn decode(input: &[u8], step: usize) -> Result<(Vec<u8>, BytesMut), ChunkedError> {
        let mut decoder = Decoder::default();
        let mut buffer = BytesMut::new();
        let mut out = Vec::new();
        let mut fed = 0;
        loop {
            match decoder.decode(&mut buffer)? {
                Decoded::Data(data) => out.extend_from_slice(&data),
                Decoded::End => return Ok((out, buffer)),
                Decoded::More if fed >= input.len() => return Err(ChunkedError("ran out")),
                Decoded::More => {
                    let end = (fed + step).min(input.len());
                    buffer.extend_from_slice(&input[fed..end]);
                    fed = end;
                }
            }
        }
    }

    #[test]
    fn decodes_whatever_the_bytes_arrive_in() {
        let body = b"5;ext=1\r\nhello\r\n1a\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\nNEXT";
        for step in [1, 2, 3, 7, 64, 1000] {
            let (out, left) = decode(body, step).unwrap();
            assert_eq!(out, b"helloabcdefghijklmnopqrstuvwxyz", "step {step}");
            // What follows the body stays for the next response.
            assert!(b"NEXT".starts_with(&left), "step {step}: {left:?}");
        }
    }

    #[test]
    fn refuses_what_is_not_chunked() {
        assert!(decode(b"zz\r\n", 64).is_err());
        assert!(decode(b"3\r\nabcdef\r\n0\r\n\r\n", 64).is_err());
        assert!(decode(b"ffffffffffffffffff\r\n", 64).is_err());
        assert!(decode(&[b'1'; MAX_LINE + 2], 64).is_err());
    }
}
