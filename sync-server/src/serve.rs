//! `picup-server serve` as a library call: open the backends, listen (HTTP, or HTTPS
//! with a certificate kept by [`crate::tls`] and plain HTTP beside it that only
//! redirects), run the worker in embedded mode, and stop in order when asked.
//!
//! The binary calls [`start`] with the system clock; tests call it with an adjustable
//! one, so a certificate's renewal weeks away can be reached without waiting.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::clock::Clock;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::tls::acme::{CertificateKeeper, Challenge, HttpAnswers};
use crate::tls::{CertificateSource, Certificates};
use crate::worker::{Worker, WorkerSettings};
use crate::{Backends, app_state, cdn, http, tls};

/// A running server.
pub struct Serving {
    /// Where the API listens.
    pub address: SocketAddr,
    /// Where plain HTTP redirects to HTTPS, when it does.
    pub redirect_address: Option<SocketAddr>,
    /// The address people reach it by.
    pub public_url: String,
    pub https: bool,
    pub embedded_s3_endpoint: Option<String>,
    stop: watch::Sender<bool>,
    finished: tokio::task::JoinHandle<Result<()>>,
}

impl Serving {
    /// Stops taking connections, finishes the requests under way, then stops the
    /// worker and the backends.
    pub async fn stop(self) -> Result<()> {
        let _ = self.stop.send(true);
        self.finished.await?
    }
}

/// Binds `address`; `[::]` falls back to `0.0.0.0` on a machine without IPv6.
async fn bind(address: SocketAddr) -> Result<TcpListener> {
    match TcpListener::bind(address).await {
        Ok(listener) => Ok(listener),
        Err(e) if address.ip() == std::net::Ipv6Addr::UNSPECIFIED => {
            let v4 = SocketAddr::from(([0, 0, 0, 0], address.port()));
            TcpListener::bind(v4)
                .await
                .with_context(|| format!("cannot listen on {address} ({e}) or {v4}"))
        }
        Err(e) => Err(e).with_context(|| format!("cannot listen on {address}")),
    }
}

async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|stop| *stop).await;
}

/// Starts serving `config`. `embedded` also runs the worker in this process.
pub async fn start(mut config: Config, embedded: bool, clock: Clock) -> Result<Serving> {
    let certificate_source = config.certificate_source()?;
    let listener = bind(config.listen_address()).await?;
    let address = listener.local_addr()?;
    // Before the public address is filled in from the bound one, which would pass.
    config.check_exposure(config.embedded_s3_dir().is_some())?;
    let public_url = config.settle_public_addresses(address);
    match http::connections::raise_open_file_limit() {
        Ok(files) => tracing::info!(files, "open-file limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open-file limit"),
    }
    let mut backends = Backends::open(&config, config.s3_listen).await?;
    backends.clock = clock;
    let metrics = Arc::new(Metrics::new());
    let cdn = cdn::Cdn::open(&config, &public_url)?.map(Arc::new);
    let state = app_state(&config, &backends, metrics.clone(), cdn, &public_url);
    let (stop, stop_asked) = watch::channel(false);

    let mut listening = http::Listening::default();
    if config.uploads_through_api()
        && let Some(s3) = &backends.embedded_s3
    {
        listening.objects = Some(s3.uploads_through_api(&config.s3_bucket));
    }
    let mut keeping = Vec::new();
    let mut redirect = None;
    if let Some(source) = certificate_source {
        let served = Certificates::new();
        let answers = HttpAnswers::default();
        let needs_port_80 = match source {
            CertificateSource::Files(files) => {
                let task = files
                    .serve(served.clone(), stop_asked.clone())
                    .map_err(|e| anyhow!("cannot serve HTTPS: {e}"))?;
                keeping.push(task);
                false
            }
            CertificateSource::Acme(settings) => {
                let needs_port_80 = settings.challenge == Challenge::Http01;
                let keeper = CertificateKeeper::new(
                    settings,
                    served.clone(),
                    answers.clone(),
                    backends.clock.clone(),
                );
                keeping.push(tokio::spawn(keeper.run(stop_asked.clone())));
                needs_port_80
            }
        };
        listening.tls = Some(tls::server_config(served));
        match bind(config.http_listen_address()).await {
            Ok(plain) => redirect = Some((plain, answers)),
            Err(e) if needs_port_80 => {
                return Err(e.context("ACME's http-01 check needs plain HTTP"));
            }
            Err(e) => tracing::warn!(
                error = format!("{e:#}"),
                "plain HTTP is not answered, so http:// addresses do not lead here"
            ),
        }
    }
    let https = listening.tls.is_some();
    let redirect_address = match &redirect {
        Some((plain, _)) => Some(plain.local_addr()?),
        None => None,
    };
    let redirecting = redirect.map(|(plain, answers)| {
        let router = tls::redirect::router(&public_url, answers);
        tokio::spawn(http::connections::serve(
            plain,
            router,
            config.connection_limits(),
            None,
            stopped(stop_asked.clone()),
        ))
    });

    let (stop_worker, worker_stopped) = watch::channel(false);
    let worker = embedded.then(|| {
        let worker = Worker::new(
            backends.db.clone(),
            backends.store.clone(),
            WorkerSettings::from_config(&config),
            metrics.clone(),
        )
        .with_clock(backends.clock.clone())
        .with_mailer(backends.mailer.clone());
        tokio::spawn(worker.run(worker_stopped))
    });
    let embedded_s3_endpoint = backends.embedded_s3.as_ref().map(|s3| s3.endpoint.clone());
    let api = tokio::spawn(http::serve(
        listener,
        state,
        listening,
        stopped(stop_asked.clone()),
    ));
    let finished = tokio::spawn(async move {
        let served = api.await;
        tracing::info!("stopped taking requests; finishing up");
        if let Some(redirecting) = redirecting {
            let _ = redirecting.await;
        }
        for task in keeping {
            let _ = task.await;
        }
        let _ = stop_worker.send(true);
        if let Some(worker) = worker {
            worker.await?;
        }
        backends.close().await;
        match served {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.into()),
            Err(e) => bail!("the API stopped: {e}"),
        }
    });
    Ok(Serving {
        address,
        redirect_address,
        public_url,
        https,
        embedded_s3_endpoint,
        stop,
        finished,
    })
}
