//! The body of every response the load balancer gives a client.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};

use crate::upstream::UpstreamBody;

/// A response body: one the load balancer wrote, or a target's. An enum
/// rather than a boxed trait object, so a proxied response costs no
/// allocation for its body.
#[derive(Debug)]
pub enum ProxyBody {
    Empty,
    /// A body held whole (ALB's error pages, fixed responses).
    Full(Option<Bytes>),
    Upstream(UpstreamBody),
}

/// A full body from bytes.
pub fn full(bytes: impl Into<Bytes>) -> ProxyBody {
    ProxyBody::Full(Some(bytes.into()))
}

/// An empty body.
pub fn empty() -> ProxyBody {
    ProxyBody::Empty
}

impl Body for ProxyBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.get_mut() {
            ProxyBody::Empty => Poll::Ready(None),
            ProxyBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            ProxyBody::Upstream(body) => body.poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ProxyBody::Empty => true,
            ProxyBody::Full(bytes) => bytes.is_none(),
            ProxyBody::Upstream(body) => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ProxyBody::Empty => SizeHint::with_exact(0),
            ProxyBody::Full(bytes) => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            ProxyBody::Upstream(body) => body.size_hint(),
        }
    }
}
