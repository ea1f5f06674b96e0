//! A local stand-in for Clerk and InstantDB.
//!
//! Two roles, each on its own loopback address:
//! - [`clerk`]: Clerk's frontend API (JWKS, discovery, a clerk-js stand-in,
//!   a sign-in UI) and the part of its Backend API that tests need.
//! - [`instant`]: Instant's runtime auth endpoints and admin user endpoints,
//!   verifying Clerk tokens as Instant does.
//!
//! State lives in SQLite ([`db`]), in a data dir or in memory.

pub mod clerk;
pub mod cli;
pub mod config;
pub mod data_dir;
pub mod db;
pub mod email;
pub mod instant;
pub mod keys;
pub mod server;
pub mod startup;

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use tokio::net::TcpListener;

use crate::cli::Cli;
use crate::config::FileConfig;
use crate::data_dir::DataDir;
use crate::db::Db;

/// Runs both roles until Ctrl-C or SIGTERM, then gives requests in flight
/// [`server::SHUTDOWN_GRACE`] to finish (a second signal stops at once).
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Caught from here on, so that one sent during startup stops it too.
    let mut stop_signals =
        server::StopSignals::listen().context("cannot listen for stop signals")?;
    let roles = tokio::select! {
        roles = start(cli) => roles?,
        () = stop_signals.next() => {
            print_to_stderr(format_args!(
                "emulator: stop signal during startup; stopped before it was ready"
            ));
            return Ok(());
        }
    };
    serve(roles, stop_signals).await
}

/// Both roles, bound and built, their start values printed.
struct Roles {
    clerk_listener: TcpListener,
    clerk_router: axum::Router,
    instant_listener: TcpListener,
    instant_router: axum::Router,
}

/// Everything before serving: the config, the data dir and its database,
/// both listeners and routers, and the start values on stdout, `ready`
/// last.
async fn start(cli: Cli) -> anyhow::Result<Roles> {
    // Before anything uses jsonwebtoken: its crypto provider is fixed by
    // the first use (see instant::ring_crypto).
    instant::ring_crypto::install();
    cli.check_addresses().map_err(anyhow::Error::msg)?;
    let file_config = match &cli.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };

    // The data dir is locked before anything in it is read or written
    // (the database, then the signing key in `clerk::router`), so a second
    // emulator on it stops here.
    let (data_dir, db): (Option<PathBuf>, Db) = if cli.in_memory {
        (
            None,
            Db::in_memory().context("cannot open an in-memory database")?,
        )
    } else {
        let held = DataDir::claim(&cli.data_dir)?;
        let path = held.path().to_owned();
        let db = Db::open(held)
            .with_context(|| format!("cannot open the database in {}", path.display()))?;
        (Some(path), db)
    };

    let clerk_listener = listen(cli.clerk_addr, "Clerk", "--clerk-addr").await?;
    let instant_listener = listen(cli.instant_addr, "Instant", "--instant-addr").await?;
    let clerk_addr = clerk_listener.local_addr()?;
    let instant_addr = instant_listener.local_addr()?;

    let clerk_host = clerk_addr.to_string();
    let publishable_key = keys::publishable_key_for(&clerk_host);
    let clerk_settings = clerk::Settings {
        host: clerk_host.clone(),
        data_dir: data_dir.clone(),
        secret_key: file_config.clerk.secret_key.clone(),
        email_claim: file_config.clerk.email_claim && !cli.no_email_claim,
    };
    let apps = file_config.resolved_apps(&publishable_key);
    let first_app = apps.first().cloned().context("config has no app")?;
    let instant_settings = instant::Settings { apps };

    let clerk_router = clerk::router(clerk_settings, db.clone()).await?;
    let instant_router = instant::router(instant_settings, db.clone()).await?;

    let client_name = first_app
        .clerk_clients
        .first()
        .map_or("", |c| c.name.as_str());
    let start_values = [
        format!("Clerk role    http://{clerk_addr}  (users and sessions at /)"),
        format!("Instant role  http://{instant_addr}"),
        format!("INSTANT_APP_ID={}", first_app.id),
        format!("INSTANT_API_URI=http://{instant_addr}"),
        format!("CLERK_PUBLISHABLE_KEY={publishable_key}"),
        format!("CLERK_CLIENT_NAME={client_name}"),
        format!("CLERK_FRONTEND_API={}", keys::frontend_api_url(&clerk_host)),
        startup::READY.to_owned(),
    ];
    let printed = print_lines(&mut std::io::stdout().lock(), &start_values);
    if let Err(err) = printed {
        // Whoever started the emulator stopped reading its output (as
        // `emulator | head -1` does): nothing to print to, and no reason
        // to stop serving. Where it serves is still worth saying.
        tracing::warn!(
            "cannot print the start values to stdout ({err}); serving anyway, the Clerk role at \
             http://{clerk_addr} and the Instant role at http://{instant_addr}"
        );
    }

    Ok(Roles {
        clerk_listener,
        clerk_router,
        instant_listener,
        instant_router,
    })
}

/// Serves both roles until a stop signal, then gives requests in flight
/// [`server::SHUTDOWN_GRACE`] to finish (a second signal stops at once).
async fn serve(roles: Roles, mut stop_signals: server::StopSignals) -> anyhow::Result<()> {
    let Roles {
        clerk_listener,
        clerk_router,
        instant_listener,
        instant_router,
    } = roles;
    // One stop signal for both servers.
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let stopped = |mut stopping: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopping.wait_for(|stop| *stop).await;
    };
    let clerk_server = axum::serve(
        server::IdleTimeoutListener::new(clerk_listener),
        clerk_router,
    )
    .with_graceful_shutdown(stopped(stopping.clone()));
    let instant_server = axum::serve(
        server::IdleTimeoutListener::new(instant_listener),
        instant_router,
    )
    .with_graceful_shutdown(stopped(stopping));
    let servers = async {
        tokio::try_join!(
            async { clerk_server.await.context("Clerk role stopped") },
            async { instant_server.await.context("Instant role stopped") },
        )
    };
    tokio::pin!(servers);
    tokio::select! {
        result = &mut servers => {
            result?;
            return Ok(());
        }
        () = stop_signals.next() => {}
    }

    // Graceful shutdown waits for every open connection, and a client can
    // hold one open (a request it never finishes sending), so the wait is
    // bounded: after the grace period the servers and their connections are
    // dropped.
    let _ = stop.send(true);
    tokio::select! {
        finished = tokio::time::timeout(server::SHUTDOWN_GRACE, &mut servers) => match finished {
            Ok(result) => {
                result?;
            }
            Err(_) => print_to_stderr(format_args!(
                "emulator: requests still open {} s after the stop signal; stopping without them",
                server::SHUTDOWN_GRACE.as_secs()
            )),
        },
        () = stop_signals.next() => {
            print_to_stderr(format_args!(
                "emulator: second stop signal; stopping without waiting for requests"
            ));
        }
    }
    Ok(())
}

/// Listens on the `role` role's address, set with `flag`. An address
/// another program holds gets a message naming the role and what to pass
/// instead.
async fn listen(addr: SocketAddr, role: &str, flag: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|err| {
        if err.kind() == std::io::ErrorKind::AddrInUse {
            anyhow::anyhow!(
                "the {role} role's address {addr} is in use by another program (another \
                 emulator?); stop it, or give the {role} role another port: {flag} {ip}:PORT, \
                 or {flag} {ip}:0 for a free one",
                ip = cli::ip_for_display(addr.ip()),
            )
        } else {
            anyhow::Error::new(err).context(format!("cannot listen on {addr} ({role} role)"))
        }
    })
}

/// Writes `lines` to `out` and flushes it. For stdout: unlike `println!`,
/// which panics once the reader has gone, this reports it.
fn print_lines(out: &mut impl Write, lines: &[String]) -> std::io::Result<()> {
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()
}

/// A line on stderr; nothing if stderr is closed (`eprintln!` would panic).
pub fn print_to_stderr(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr(), "{line}");
}
