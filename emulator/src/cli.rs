//! Command-line flags.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Local stand-in for Clerk and InstantDB, so the app runs and is tested
/// with no account and no network.
///
/// At start it prints the values the app needs as `KEY=value` lines
/// (INSTANT_APP_ID, INSTANT_API_URI, CLERK_PUBLISHABLE_KEY,
/// CLERK_CLIENT_NAME, CLERK_FRONTEND_API), then a line `ready`.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "emulator", version)]
pub struct Cli {
    /// Directory for the SQLite database and the Clerk signing key.
    #[arg(long, default_value = ".emulator", conflicts_with = "in_memory")]
    pub data_dir: PathBuf,

    /// Keep all state in memory (a fresh signing key too); nothing is written to disk.
    #[arg(long)]
    pub in_memory: bool,

    /// TOML file with apps, Clerk clients and Clerk settings (see the README).
    #[arg(long)]
    pub config: Option<PathBuf>,

    /// Address of the Clerk role (frontend API, Backend API, sign-in UI).
    /// Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub clerk_addr: SocketAddr,

    /// Address of the Instant role (runtime auth and admin endpoints).
    /// Port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8788")]
    pub instant_addr: SocketAddr,

    /// Leave the `email` claim out of session tokens, as a Clerk instance
    /// whose session token was never customized does.
    #[arg(long)]
    pub no_email_claim: bool,
}
