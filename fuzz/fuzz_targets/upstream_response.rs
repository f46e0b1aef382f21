//! What a target sends back: any bytes are parsed as a response head,
//! arriving in two pieces split where the input says, and what follows a
//! head is decoded as a chunked body. Neither may panic; a head that
//! parses once parses the same when it arrives whole; the decoder never
//! returns more data than it was given.
//!
//! Input layout: [split point (1 byte), HEAD or GET (1 byte), bytes...].
#![no_main]

use ballast_proxy::upstream::chunked::{Decoded, Decoder};
use ballast_proxy::upstream::head::parse_response;
use bytes::BytesMut;
use http::Method;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let [split, method, bytes @ ..] = data else {
        return;
    };
    let method = if method % 2 == 0 { Method::GET } else { Method::HEAD };
    let split = usize::from(*split).min(bytes.len());

    // Whole, then in two pieces: a head must not depend on how it arrived.
    let mut whole = BytesMut::from(bytes);
    let at_once = parse_response(&mut whole, &method);
    let mut pieces = BytesMut::from(&bytes[..split]);
    let first = parse_response(&mut pieces, &method);
    if let Ok(None) = first {
        pieces.extend_from_slice(&bytes[split..]);
        let second = parse_response(&mut pieces, &method);
        if let (Ok(Some(a)), Ok(Some(b))) = (&at_once, &second) {
            assert_eq!(a.parts.status, b.parts.status);
            assert_eq!(a.framing, b.framing);
            assert_eq!(a.parts.headers, b.parts.headers);
        }
    }

    // Whatever follows (or the input itself) as a chunked body.
    let mut rest = if let Ok(Some(_)) = at_once { whole } else { BytesMut::from(bytes) };
    let given = rest.len();
    let mut decoder = Decoder::default();
    let mut out = 0;
    loop {
        match decoder.decode(&mut rest) {
            Ok(Decoded::Data(data)) => {
                assert!(!data.is_empty(), "an empty piece of data would spin the body");
                out += data.len();
            }
            Ok(Decoded::More | Decoded::End) | Err(_) => break,
        }
    }
    assert!(out <= given);
});
