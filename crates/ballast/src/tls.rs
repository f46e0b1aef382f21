//! The API over HTTPS, for sandboxed instances that reach the AWS
//! endpoints by their real names (see `ballast_fleet::sandbox::endpoints`).
//!
//! axum's own `serve` speaks plain TCP only, so this is its accept loop
//! with a rustls handshake in front: each connection is served by hyper's
//! auto (HTTP/1.1 or HTTP/2) builder, as `axum::serve` does.

use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use ballast_fleet::sandbox::endpoints::Authority;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A TLS acceptor serving `authority`'s certificate (and its chain).
pub fn acceptor(authority: &Authority) -> anyhow::Result<TlsAcceptor> {
    let mut chain = CertificateDer::pem_slice_iter(authority.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .context("reading the serving certificate")?;
    chain.extend(
        CertificateDer::pem_slice_iter(authority.ca_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .context("reading the authority's certificate")?,
    );
    let key = PrivateKeyDer::from_pem_slice(authority.key_pem.as_bytes())
        .context("reading the serving key")?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the serving certificate")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Serves `router` over TLS on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, acceptor: TlsAcceptor, router: Router) {
    loop {
        let (stream, _) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::debug!(%error, "accepting an HTTPS connection");
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let tls = match acceptor.accept(stream).await {
                Ok(tls) => tls,
                Err(error) => {
                    tracing::debug!(%error, "TLS handshake");
                    return;
                }
            };
            if let Err(error) = Builder::new(TokioExecutor::new())
                .serve_connection_with_upgrades(TokioIo::new(tls), service)
                .await
            {
                tracing::debug!(%error, "serving an HTTPS connection");
            }
        });
    }
}
