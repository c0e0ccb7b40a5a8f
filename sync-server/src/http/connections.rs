//! Accepting connections so that no one client can hold the server: a request's headers
//! must arrive within a time limit (half-sent requests are closed), there is a cap on
//! open connections in all and per address (an IPv6 /64 counts as one; trusted proxies
//! are exempt), and accepting goes on when the process runs out of file descriptors.
//!
//! A connection over a cap is closed at once, before anything is read from it. The API
//! and the embedded S3 endpoint both accept through here. Over HTTPS the TLS handshake
//! must also end within the header time limit; a handshake that only asked for an
//! ACME TLS-ALPN-01 answer is closed once the certificate is shown.

use std::collections::HashMap;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder as ConnectionBuilder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::accounts::network_of;

/// The limits one listener keeps.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
    pub max_per_address: usize,
    /// Addresses the per-address cap does not apply to (trusted reverse proxies, which
    /// carry everyone's connections).
    pub exempt: Vec<IpAddr>,
    /// On shutdown, how long requests in flight may take to finish.
    pub drain_within: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            max_connections: 4096,
            max_per_address: 256,
            exempt: Vec::new(),
            drain_within: Duration::from_secs(60),
        }
    }
}

/// Counts open connections; a [`Slot`] is one of them, given back when dropped.
struct OpenConnections {
    limits: ConnectionLimits,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

struct Slot {
    connections: Arc<OpenConnections>,
    network: Option<IpAddr>,
}

impl OpenConnections {
    fn admit(self: &Arc<Self>, peer: IpAddr) -> Option<Slot> {
        let network = (!self.limits.exempt.contains(&peer)).then(|| network_of(peer));
        let mut open = self.open.lock().expect("connection counts");
        if open.0 >= self.limits.max_connections {
            return None;
        }
        if let Some(network) = network {
            let count = open.1.entry(network).or_insert(0);
            if *count >= self.limits.max_per_address {
                return None;
            }
            *count += 1;
        }
        open.0 += 1;
        Some(Slot {
            connections: self.clone(),
            network,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.connections.open.lock().expect("connection counts");
        open.0 -= 1;
        if let Some(network) = self.network
            && let Some(count) = open.1.get_mut(&network)
        {
            *count -= 1;
            if *count == 0 {
                open.1.remove(&network);
            }
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves; then stops
/// accepting (new connections are refused) and lets requests in flight finish. Each
/// request carries its peer's address (`ConnectInfo`).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, limits, tls, shutdown, move |peer| {
        let router = router.clone();
        hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(request)
        })
    })
    .await
}

/// The accept loop itself, for any hyper service made per connection by `service_for`
/// (the API's router, or the embedded S3 endpoint).
pub async fn serve_with<S, B>(
    listener: TcpListener,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    service_for: impl Fn(SocketAddr) -> S,
) -> std::io::Result<()>
where
    S: hyper::service::Service<hyper::Request<Incoming>, Response = hyper::Response<B>>
        + Send
        + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut builder = ConnectionBuilder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let (header_read_timeout, drain_within) = (limits.header_read_timeout, limits.drain_within);
    let connections = Arc::new(OpenConnections {
        limits,
        open: Mutex::new((0, HashMap::new())),
    });
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (socket, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, most likely: the connections already open
                    // go on; try again in a moment rather than spin.
                    tracing::warn!(error = %e, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = connections.admit(peer.ip()) else {
            tracing::debug!(%peer, "too many connections; closed one at once");
            continue;
        };
        // An answer's last segment goes out at once rather than waiting for the client to
        // acknowledge the one before (Nagle), as nginx does on kept-alive connections.
        let _ = socket.set_nodelay(true);
        let service = service_for(peer);
        let builder = builder.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        tokio::spawn(async move {
            // hyper's header timeout starts with the first byte (before it, the version
            // is not yet known): a client that sends nothing gets the same limit here.
            let mut first = [0u8; 1];
            if !matches!(
                tokio::time::timeout(header_read_timeout, socket.peek(&mut first)).await,
                Ok(Ok(1..))
            ) {
                return;
            }
            match tls {
                None => {
                    let connection = builder.serve_connection(TokioIo::new(socket), service);
                    let _ = watcher.watch(connection.into_owned()).await;
                }
                Some(acceptor) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(header_read_timeout, acceptor.accept(socket)).await
                    else {
                        return;
                    };
                    if stream.get_ref().1.alpn_protocol() == Some(crate::tls::ACME_TLS_ALPN) {
                        return;
                    }
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(connection.into_owned()).await;
                }
            }
            drop(slot);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(drain_within, graceful.shutdown()).await;
    Ok(())
}

/// Raises this process's open-file limit to what the system allows it (systemd's
/// default soft limit, 1,024, is far below what a server needs).
pub fn raise_open_file_limit() -> std::io::Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a struct we own.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
        }
    }
    Ok(limit.rlim_cur)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_count_per_network_and_in_all_and_slots_come_back() {
        let connections = Arc::new(OpenConnections {
            limits: ConnectionLimits {
                max_connections: 3,
                max_per_address: 2,
                exempt: vec!["10.9.9.9".parse().unwrap()],
                ..ConnectionLimits::default()
            },
            open: Mutex::new((0, HashMap::new())),
        });
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8::2".parse().unwrap();
        let proxy: IpAddr = "10.9.9.9".parse().unwrap();
        let first = connections.admit(a).unwrap();
        let _second = connections.admit(same_64).unwrap();
        assert!(connections.admit(a).is_none(), "a /64 is one address");
        let _third = connections.admit(proxy).unwrap();
        assert!(connections.admit(proxy).is_none(), "the total is capped");
        drop(first);
        assert!(
            connections.admit(a).is_some(),
            "a closed connection frees its slot"
        );
    }
}
