//! `demo-client`: a demo LwM2M device serving Temperature (3303) and Light Control (3311),
//! generated from the registry by `build.rs`, with the built-in Security, Server and Device
//! objects, over CoAP/UDP with the tokio driver of `lwm2m::net`.
//!
//! ```text
//! demo-client --server coap://127.0.0.1:5683 [--server coap://127.0.0.1:5783 ...]
//!             --endpoint demo-1 [--lifetime 300]
//!             [--lwm2m-version 1.0|1.1|1.2] [--bootstrap] [--local-port 0]
//! demo-client --server coaps://127.0.0.1:5684 --endpoint demo-1 \
//!             --psk-identity demo-1 --psk-key 000102030405060708090a0b0c0d0e0f   # feature dtls
//! ```
//!
//! The temperature changes every second (a slow sine plus noise) and observers of `/3303/0/5700`
//! are notified; executing `/3303/0/5605` resets the min/max measured values. Logs go to stderr
//! (`RUST_LOG`, default `info`; `RUST_LOG=info,lwm2m::net=debug` adds a line per request of the
//! server). SIGINT or SIGTERM deregisters and exits 0.

mod cli;
mod device;
mod light;
mod temperature;

/// The objects `build.rs` generated with `lwm2m-codegen`.
#[allow(missing_docs)]
mod objects {
    lwm2m::include_objects!();
}

use std::error::Error;
use std::future::Future;
use std::io::IsTerminal;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use lwm2m::ObjectStore;
use lwm2m::client::{Binding, Client, Config, LwM2mVersion};
use lwm2m::net::{Driver, Transport, UdpDriver, resolve};
use tracing_subscriber::EnvFilter;

use crate::cli::{Args, Version};
use crate::temperature::Sensor;

/// The log filter when `RUST_LOG` is not set: registrations, notifications and failures.
///
/// The server's requests are logged at `debug` (`RUST_LOG=info,lwm2m::net=debug`), not by
/// default: a line per request is a `write(2)` to stderr per request, which cost about 2 µs of
/// the 10 µs of CPU per read when a server reads at 100,000 reads/s (BENCHMARKS.md, "Profile of
/// the serving path").
const DEFAULT_FILTER: &str = "info";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// The local address of the socket towards `server`.
fn local_for(server: SocketAddr, port: u16) -> SocketAddr {
    match server {
        SocketAddr::V4(_) => SocketAddr::from((Ipv4Addr::UNSPECIFIED, port)),
        SocketAddr::V6(_) => SocketAddr::from((Ipv6Addr::UNSPECIFIED, port)),
    }
}

async fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let start = Instant::now();
    let first = args.first_server().to_owned();
    if !args.more_servers().is_empty() && (args.bootstrap || args.psk().is_some()) {
        return Err("several --server options are for coap:// servers without --bootstrap".into());
    }
    let account = device::Account {
        server_uri: first.clone(),
        more_server_uris: args.more_servers().to_vec(),
        bootstrap: args.bootstrap,
        lifetime_s: args.lifetime,
        binding: Binding::U.to_string(),
        psk: args.psk(),
    };
    let store = device::store(&account, start)?;

    #[cfg(feature = "dtls")]
    if lwm2m::net::dtls::is_coaps(&first) {
        use lwm2m::net::dtls::{Credentials, DtlsConfig, DtlsTransport, resolve_coaps};
        use lwm2m::objects::Security;
        if account.psk.is_none() {
            return Err("a coaps:// server needs --psk-identity and --psk-key".into());
        }
        let server = resolve_coaps(&first).await?;
        // The credentials come from the Security object, as a Bootstrap-Server would set them.
        let security = store
            .get::<Security>(0)
            .ok_or("the store has no Security instance /0/0")?;
        let credentials = Credentials::from_security(security)?;
        let config = DtlsConfig::new(credentials);
        let transport =
            DtlsTransport::connect(local_for(server, args.local_port), server, config).await?;
        return serve(args, server, store, start, Driver::new(transport)).await;
    }
    if account.psk.is_some() {
        return Err(format!(
            "--psk-identity and --psk-key need a coaps:// server{}",
            if cfg!(feature = "dtls") {
                ""
            } else {
                " and a demo-client built with the `dtls` feature"
            }
        )
        .into());
    }
    let server = resolve(&first).await?;
    let driver = UdpDriver::bind(local_for(server, args.local_port)).await?;
    serve(args, server, store, start, driver).await
}

/// Runs the device on `driver` until a signal.
async fn serve<T: Transport>(
    args: Args,
    server: SocketAddr,
    store: ObjectStore,
    start: Instant,
    driver: Driver<T>,
) -> Result<(), Box<dyn Error>> {
    let mut config = Config::new(args.endpoint.clone(), server);
    config.lifetime = args.lifetime();
    config.lwm2m_version = match args.lwm2m_version {
        Version::V1_0 => LwM2mVersion::V1_0,
        Version::V1_1 => LwM2mVersion::V1_1,
        Version::V1_2 => LwM2mVersion::V1_2,
    };
    config.binding = Binding::U;
    if args.bootstrap {
        config.bootstrap_server = Some(server);
    }
    for (ssid, uri) in (device::SHORT_SERVER_ID + 1..).zip(args.more_servers()) {
        config = config.with_server(ssid, resolve(uri).await?);
    }
    let objects: Vec<String> = objects::OBJECTS
        .iter()
        .map(|m| format!("{} ({})", m.name, m.id))
        .collect();
    tracing::info!(
        endpoint = %config.endpoint,
        %server,
        lwm2m = %config.lwm2m_version,
        lifetime = args.lifetime,
        bootstrap = args.bootstrap,
        generated = %objects.join(", "),
        "demo device starting"
    );

    let stop = shutdown();
    let client = Client::new(config, store);
    let sensor = Sensor::new(start);
    let tick = move |client: &mut Client, now: Instant| {
        for path in device::measure(client.store_mut(), &sensor, now) {
            client.resource_changed(now, &path);
        }
    };
    let client = driver.run(client, args.tick(), tick, stop).await?;
    tracing::info!(
        light_on = device::light_is_on(client.store()),
        "demo device stopped"
    );
    Ok(())
}

/// A future that completes on SIGINT (Ctrl-C) or SIGTERM.
///
/// The signal listeners are installed when this function is called, not when the future is first
/// polled: it is called before the client sends its Register, so a signal that arrives right after
/// the registration is caught (and deregisters) instead of killing the process with the default
/// action.
fn shutdown() -> Pin<Box<dyn Future<Output = ()>>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                return Box::pin(async move {
                    tokio::select! {
                        _ = interrupt.recv() => tracing::info!("SIGINT"),
                        _ = terminate.recv() => tracing::info!("SIGTERM"),
                    }
                });
            }
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot listen for signals; only Ctrl-C stops");
            }
        }
    }
    Box::pin(async {
        match tokio::signal::ctrl_c().await {
            Ok(()) => tracing::info!("SIGINT"),
            Err(e) => {
                // Without signals the device runs until killed.
                tracing::warn!(error = %e, "cannot listen for SIGINT");
                std::future::pending::<()>().await;
            }
        }
    })
}
