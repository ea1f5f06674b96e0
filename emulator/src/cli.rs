//! Command-line flags.

use std::net::{IpAddr, SocketAddr};
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
    /// Directory for the SQLite database and the Clerk signing key; one
    /// emulator at a time may use it.
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

    /// Address of the Clerk role (frontend API, Backend API, sign-in UI):
    /// an IP address and a port, not a host name. Port 0 picks a free
    /// port. Loopback only.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8787",
        value_parser = loopback_addr
    )]
    pub clerk_addr: SocketAddr,

    /// Address of the Instant role (runtime auth and admin endpoints): an
    /// IP address and a port, not the Clerk role's. Port 0 picks a free
    /// port. Loopback only.
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

impl Cli {
    /// Checks what the flags cannot check one at a time: the two roles
    /// need addresses of their own (unless port 0 picks free ones).
    pub fn check_addresses(&self) -> Result<(), String> {
        if self.clerk_addr == self.instant_addr && self.clerk_addr.port() != 0 {
            return Err(format!(
                "the Clerk role and the Instant role need different ports, and both are set to \
                 {addr} (--clerk-addr and --instant-addr); give one of them another port, e.g. \
                 --clerk-addr {ip}:8787 --instant-addr {ip}:8788 (port 0 picks a free one)",
                addr = self.clerk_addr,
                ip = ip_for_display(self.clerk_addr.ip()),
            ));
        }
        Ok(())
    }
}

/// An IP address as it goes before `:port` (IPv6 in brackets).
pub(crate) fn ip_for_display(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(ip) => ip.to_string(),
        IpAddr::V6(ip) => format!("[{ip}]"),
    }
}

/// A role address, refused unless it is on loopback: anyone who reaches the
/// emulator can sign in as anyone, and it speaks plain HTTP, so a Clerk role
/// on another interface could not even name itself with a working URL.
fn loopback_addr(text: &str) -> Result<SocketAddr, String> {
    let addr: SocketAddr = text.parse().map_err(|_| unparsable_addr(text))?;
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

/// Why `text` is no `IP:port`, and what to write instead.
fn unparsable_addr(text: &str) -> String {
    if text.trim().is_empty() {
        return "the address is empty; use e.g. 127.0.0.1:8787 or [::1]:8787 (port 0 picks a \
                free port)"
            .to_owned();
    }
    if let Some((host, port)) = text.rsplit_once(':') {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.parse::<IpAddr>().is_ok() && port.parse::<u64>().is_ok_and(|port| port > 65535) {
            return format!("{port} is not a port: ports go from 0 to 65535 (0 picks a free port)");
        }
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        let hint = match ip {
            IpAddr::V4(_) => format!("{ip}:8787"),
            IpAddr::V6(_) => {
                format!("[{ip}]:8787 (an IPv6 address goes in brackets before the port)")
            }
        };
        return format!("{text} has no port; add one, e.g. {hint}; port 0 picks a free port");
    }
    if let Some((host, port)) = text.rsplit_once(':') {
        if !host.is_empty() && !host.contains(':') && port.parse::<u16>().is_ok() {
            return format!(
                "{host} is a host name, which a role address does not take (the emulator \
                 names itself by its address): use an IP address, 127.0.0.1:{port} or \
                 [::1]:{port}"
            );
        }
    }
    format!(
        "{text} is not an IP address with a port; use e.g. 127.0.0.1:8787 or [::1]:8787 \
         (port 0 picks a free port)"
    )
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

    /// Each refusal says what is wrong with the value as written.
    #[test]
    fn unparsable_addresses_say_what_to_write() {
        let refusal = |addr: &str| {
            Cli::try_parse_from(["emulator", "--clerk-addr", addr])
                .expect_err("refused")
                .to_string()
        };
        for (addr, says) in [
            ("localhost:8787", "localhost is a host name"),
            ("LocalHost:0", "LocalHost is a host name"),
            ("127.0.0.1", "127.0.0.1 has no port"),
            ("::1", "[::1]:8787 (an IPv6 address goes in brackets"),
            ("localhost", "not an IP address with a port"),
            (
                "127.0.0.1:99999",
                "99999 is not a port: ports go from 0 to 65535",
            ),
            ("[::1]:70000", "70000 is not a port"),
            ("", "the address is empty"),
            ("  ", "the address is empty"),
        ] {
            let error = refusal(addr);
            assert!(error.contains(says), "{addr}: {error}");
            assert!(
                !error.contains("invalid socket address syntax"),
                "{addr}: {error}"
            );
        }
        let error = refusal("localhost:8787");
        assert!(
            error.contains("127.0.0.1:8787") && error.contains("[::1]:8787"),
            "{error}"
        );
    }

    #[test]
    fn the_two_roles_need_different_addresses() {
        let parse = |clerk: &str, instant: &str| {
            Cli::try_parse_from(["emulator", "--clerk-addr", clerk, "--instant-addr", instant])
                .unwrap()
                .check_addresses()
        };
        let error = parse("127.0.0.1:18787", "127.0.0.1:18787").unwrap_err();
        assert!(
            error.contains("need different ports") && error.contains("127.0.0.1:18787"),
            "{error}"
        );
        let error = parse("[::1]:18787", "[::1]:18787").unwrap_err();
        assert!(error.contains("--instant-addr [::1]:8788"), "{error}");
        assert!(parse("127.0.0.1:0", "127.0.0.1:0").is_ok());
        assert!(parse("127.0.0.1:18787", "127.0.0.2:18787").is_ok());
        assert!(parse("127.0.0.1:18787", "[::1]:18787").is_ok());
        assert!(Cli::try_parse_from(["emulator"])
            .unwrap()
            .check_addresses()
            .is_ok());
    }
}
