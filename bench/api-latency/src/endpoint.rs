//! The endpoint under test. Only loopback addresses are accepted, so the
//! benchmark can never send load anywhere but this machine.

use std::net::IpAddr;

use anyhow::{Context, bail, ensure};
use http::Uri;

/// A plain-HTTP loopback endpoint such as `http://127.0.0.1:4566`.
#[derive(Debug, Clone)]
pub struct Endpoint {
    uri: Uri,
}

impl Endpoint {
    /// Parses `http://IP:PORT[/]`, refusing anything that is not a loopback
    /// IP literal with an explicit port.
    pub fn parse(text: &str) -> anyhow::Result<Endpoint> {
        let uri: Uri = text
            .parse()
            .with_context(|| format!("{text:?} is not a URL"))?;
        ensure!(
            uri.scheme_str() == Some("http"),
            "{text}: only plain http:// endpoints are supported"
        );
        ensure!(
            matches!(uri.path(), "" | "/") && uri.query().is_none(),
            "{text}: the endpoint must have no path or query"
        );
        let host = uri.host().context("the endpoint has no host")?;
        let ip: IpAddr = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .with_context(|| format!("{text}: the host must be an IP literal such as 127.0.0.1"))?;
        if !ip.is_loopback() {
            bail!(
                "{text}: refusing a non-loopback target; this benchmark only loads 127.0.0.0/8 or ::1"
            );
        }
        uri.port_u16()
            .context("the endpoint needs an explicit port")?;
        let uri = format!("http://{}/", uri.authority().context("no authority")?)
            .parse()
            .context("rebuilding the endpoint URL")?;
        Ok(Endpoint { uri })
    }

    /// The URL requests are sent to (always with the `/` path).
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The `Host` header value, `IP:PORT`.
    pub fn host(&self) -> &str {
        self.uri.authority().map_or("", |a| a.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_loopback_literals() {
        let e = Endpoint::parse("http://127.0.0.1:4566").unwrap();
        assert_eq!(e.uri().to_string(), "http://127.0.0.1:4566/");
        assert_eq!(e.host(), "127.0.0.1:4566");
        assert!(Endpoint::parse("http://127.3.2.1:80/").is_ok());
        assert!(Endpoint::parse("http://[::1]:80").is_ok());
    }

    #[test]
    fn refuses_anything_else() {
        for bad in [
            "http://10.0.0.1:4566",
            "http://8.8.8.8:80",
            "http://localhost:4566",
            "https://127.0.0.1:4566",
            "http://127.0.0.1",
            "http://127.0.0.1:4566/path",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
