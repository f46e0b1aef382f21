//! What one request came to, as a user would name it: an answer, or a
//! failure by cause (connection refused, reset, timeout, a 5xx by code).

use std::fmt;
use std::io;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cause {
    /// Nothing listened (`ECONNREFUSED`).
    Refused,
    /// The connection was reset or closed before a whole answer came.
    Reset,
    /// No whole answer within `--timeout`.
    Timeout,
    /// The server answered with this 5xx status.
    Status(u16),
    /// Anything else (a TLS or protocol error, an unreachable host), in
    /// a few words.
    Other(String),
}

impl Cause {
    /// A short, stable key for the cause (`refused`, `reset`, `timeout`,
    /// `502`, `other`), as the JSON output names it.
    pub fn key(&self) -> String {
        match self {
            Cause::Refused => "refused".to_owned(),
            Cause::Reset => "reset".to_owned(),
            Cause::Timeout => "timeout".to_owned(),
            Cause::Status(code) => code.to_string(),
            Cause::Other(_) => "other".to_owned(),
        }
    }

    /// The cause of a transport error: the first I/O error kind found
    /// along `error`'s sources decides; a hyper error that says the
    /// connection closed early is a reset.
    pub fn of_error(error: &(dyn std::error::Error + 'static)) -> Cause {
        let mut next = Some(error);
        let mut closed_early = false;
        while let Some(e) = next {
            if let Some(io) = e.downcast_ref::<io::Error>() {
                match io.kind() {
                    io::ErrorKind::ConnectionRefused => return Cause::Refused,
                    io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::UnexpectedEof => return Cause::Reset,
                    io::ErrorKind::TimedOut => return Cause::Timeout,
                    _ => {}
                }
            }
            if let Some(hyper) = e.downcast_ref::<hyper::Error>()
                && (hyper.is_incomplete_message() || hyper.is_canceled() || hyper.is_closed())
            {
                closed_early = true;
            }
            next = e.source();
        }
        if closed_early {
            return Cause::Reset;
        }
        Cause::Other(short(&error.to_string()))
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cause::Refused => f.write_str("connection refused"),
            Cause::Reset => f.write_str("connection reset"),
            Cause::Timeout => f.write_str("timeout"),
            Cause::Status(code) => write!(f, "HTTP {code}"),
            Cause::Other(what) => write!(f, "other ({what})"),
        }
    }
}

/// At most 60 characters of `text`, on a char boundary.
fn short(text: &str) -> String {
    match text.char_indices().nth(60) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

/// What one request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An answer below 500 (a 404 is the application's answer, not an
    /// outage), and who gave it when `--answered-by` says how to tell.
    Answered {
        status: u16,
        by: Option<String>,
    },
    Failed(Cause),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Wrapper(io::Error);

    impl fmt::Display for Wrapper {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("client error (Connect)")
        }
    }

    impl std::error::Error for Wrapper {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn causes_come_from_the_io_error_underneath() {
        for (kind, cause) in [
            (io::ErrorKind::ConnectionRefused, Cause::Refused),
            (io::ErrorKind::ConnectionReset, Cause::Reset),
            (io::ErrorKind::UnexpectedEof, Cause::Reset),
            (io::ErrorKind::TimedOut, Cause::Timeout),
        ] {
            let error = Wrapper(io::Error::from(kind));
            assert_eq!(Cause::of_error(&error), cause, "{kind:?}");
        }
        let other = Wrapper(io::Error::other("certificate unknown"));
        assert_eq!(
            Cause::of_error(&other),
            Cause::Other("client error (Connect)".into())
        );
    }

    #[test]
    fn keys_and_names() {
        assert_eq!(Cause::Status(502).key(), "502");
        assert_eq!(Cause::Status(502).to_string(), "HTTP 502");
        assert_eq!(Cause::Refused.to_string(), "connection refused");
        assert_eq!(short(&"x".repeat(100)).chars().count(), 61);
    }
}
