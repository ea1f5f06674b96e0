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
    #[arg(
        long,
        value_name = "DIR",
        default_value = ".emulator",
        conflicts_with = "in_memory"
    )]
    pub data_dir: PathBuf,

    /// Keep all state in memory (a fresh signing key too); nothing is written to disk.
    #[arg(long)]
    pub in_memory: bool,

    /// TOML file with apps, Clerk clients and Clerk settings (see the README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Address of the Clerk role (frontend API, Backend API, sign-in UI).
    /// Port 0 picks a free port. Loopback only.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8787",
        value_parser = loopback_addr
    )]
    pub clerk_addr: SocketAddr,

    /// Address of the Instant role (runtime auth and admin endpoints).
    /// Port 0 picks a free port. Loopback only.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8788",
        value_parser = loopback_addr
    )]
    pub instant_addr: SocketAddr,

    /// Leave the `email` claim out of session tokens, as a Clerk instance
    /// whose session token was never customized does. The Instant role then
    /// refuses sign-ins, as Instant does ("The id_token had no email.").
    #[arg(long)]
    pub no_email_claim: bool,
}

/// A role address, refused unless it is on loopback: anyone who reaches the
/// emulator can sign in as anyone, and it speaks plain HTTP, so a Clerk role
/// on another interface could not even name itself with a working URL.
fn loopback_addr(text: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = text
        .parse()
        .map_err(|e| format!("{e}; use an address with a port, e.g. 127.0.0.1:8787"))?;
    if addr.ip().is_loopback() {
        Ok(addr)
    } else {
        Err(format!(
            "{} is not a loopback address; the emulator lets anyone who reaches it sign \
             in as anyone, so bind it to loopback: 127.0.0.1:{port} (or [::1]:{port})",
            addr.ip(),
            port = addr.port()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[test]
    fn role_addresses_must_be_loopback() {
        for flag in ["--clerk-addr", "--instant-addr"] {
            for addr in ["0.0.0.0:8787", "[::]:8787", "192.0.2.1:8787"] {
                let error = Cli::try_parse_from(["emulator", flag, addr])
                    .expect_err("a non-loopback address is refused")
                    .to_string();
                assert!(
                    error.contains("not a loopback address") && error.contains("127.0.0.1"),
                    "{flag} {addr}: {error}"
                );
            }
            for addr in ["127.0.0.1:0", "[::1]:8787"] {
                assert!(
                    Cli::try_parse_from(["emulator", flag, addr]).is_ok(),
                    "{addr}"
                );
            }
        }
    }
}
