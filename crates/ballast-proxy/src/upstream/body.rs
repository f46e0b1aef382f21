//! A target's response body, read from its connection as the client takes
//! it; the connection goes back to the pool when the body ends.

use std::io;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Frame, SizeHint};

use super::chunked::{Decoded, Decoder};
use super::head::Framing;
use super::{Connection, Pool};
use crate::registry::InFlight;

/// How much of the body is left.
#[derive(Debug)]
enum Left {
    Length(u64),
    Chunked(Decoder),
    UntilClose,
    Done,
}

/// The body of a proxied response. It holds the target's in-flight count
/// until it ends or is dropped.
#[derive(Debug)]
pub struct UpstreamBody {
    connection: Option<Connection>,
    left: Left,
    keep_alive: bool,
    pool: Arc<Pool>,
    in_flight: Option<InFlight>,
}

impl UpstreamBody {
    /// The body that follows a response head on `connection`. A body that
    /// is already complete (no body, or `Content-Length: 0`) hands the
    /// connection back at once.
    pub fn new(
        connection: Connection,
        framing: Framing,
        keep_alive: bool,
        pool: Arc<Pool>,
        in_flight: InFlight,
    ) -> UpstreamBody {
        let left = match framing {
            Framing::Length(0) | Framing::Empty | Framing::Upgrade => Left::Done,
            Framing::Length(n) => Left::Length(n),
            Framing::Chunked => Left::Chunked(Decoder::default()),
            Framing::UntilClose => Left::UntilClose,
        };
        let mut body = UpstreamBody {
            connection: Some(connection),
            left,
            keep_alive,
            pool,
            in_flight: Some(in_flight),
        };
        if matches!(body.left, Left::Done) {
            body.finish();
        }
        body
    }

    /// The body is complete: the connection is pooled if it can carry
    /// another request, and the in-flight count ends.
    fn finish(&mut self) {
        self.left = Left::Done;
        if let Some(connection) = self.connection.take()
            && self.keep_alive
        {
            self.pool.put_back(connection);
        }
        self.in_flight = None;
    }

    /// The body broke off: the connection is closed.
    fn fail(&mut self, error: io::Error) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        self.left = Left::Done;
        self.connection = None;
        self.in_flight = None;
        Poll::Ready(Some(Err(error)))
    }

    pub fn poll_frame(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        loop {
            let Some(connection) = self.connection.as_mut() else {
                return Poll::Ready(None);
            };
            let buffer = &mut connection.read;
            match &mut self.left {
                Left::Done => {
                    self.finish();
                    return Poll::Ready(None);
                }
                Left::Length(left) if !buffer.is_empty() => {
                    let n = usize::try_from(*left).map_or(buffer.len(), |l| l.min(buffer.len()));
                    *left -= n as u64;
                    let data = buffer.split_to(n).freeze();
                    if *left == 0 {
                        self.finish();
                    }
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Left::Chunked(decoder) => match decoder.decode(buffer) {
                    Ok(Decoded::Data(data)) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                    Ok(Decoded::End) => {
                        self.finish();
                        return Poll::Ready(None);
                    }
                    Ok(Decoded::More) => {}
                    Err(error) => {
                        return self.fail(io::Error::new(io::ErrorKind::InvalidData, error));
                    }
                },
                Left::UntilClose if !buffer.is_empty() => {
                    let data = buffer.split().freeze();
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                Left::Length(_) | Left::UntilClose => {}
            }
            match connection.poll_fill(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) if matches!(self.left, Left::UntilClose) => {
                    self.keep_alive = false;
                    self.finish();
                    return Poll::Ready(None);
                }
                Poll::Ready(Ok(0)) => {
                    return self.fail(io::Error::from(io::ErrorKind::UnexpectedEof));
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(error)) => return self.fail(error),
            }
        }
    }

    pub fn is_end_stream(&self) -> bool {
        matches!(self.left, Left::Done | Left::Length(0))
    }

    pub fn size_hint(&self) -> SizeHint {
        match self.left {
            Left::Length(n) => SizeHint::with_exact(n),
            Left::Done => SizeHint::with_exact(0),
            Left::Chunked(_) | Left::UntilClose => SizeHint::default(),
        }
    }
}
