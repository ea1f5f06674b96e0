//! `loadgen`: the load generator behind `cargo xtask bench emulator`.
//!
//! It plays a Clerk instance of its own (an RS256 key, OpenID discovery and
//! JWKS on a loopback port), writes an emulator config registering that
//! instance as Clerk client `bench`, starts the emulator binary it is given,
//! and measures `POST /runtime/oauth/id_token` exchanges at each concurrency
//! level: for returning users (people who already have an Instant user) and
//! for new users (a fresh email per exchange). Tokens are signed before each
//! phase starts, so signing never competes with the measured exchanges.
//!
//! ```text
//! loadgen --emulator target/release/emulator --data-dir /tmp/x   # file-backed store
//! loadgen --emulator target/release/emulator --in-memory
//! ```

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context as _};
use axum::routing::get;
use axum::{Json, Router};
use clap::Parser as _;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

/// Measures the emulator's ID-token exchanges per second and their latency.
#[derive(clap::Parser)]
#[command(name = "loadgen")]
struct Args {
    /// The emulator binary to start (build it with --release to measure).
    #[arg(long)]
    emulator: PathBuf,
    /// Keep the emulator's SQLite file in this directory (the real
    /// configuration). It must not hold an earlier run's database.
    #[arg(
        long,
        conflicts_with = "in_memory",
        required_unless_present = "in_memory"
    )]
    data_dir: Option<PathBuf>,
    /// Run the emulator with --in-memory instead.
    #[arg(long)]
    in_memory: bool,
    /// Concurrent clients, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64")]
    clients: Vec<usize>,
    /// How long each returning-users phase runs, in seconds.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// Most new-user exchanges per phase (each needs a token signed ahead).
    #[arg(long, default_value_t = 6000)]
    max_new: usize,
    /// How many returning users to cycle through.
    #[arg(long, default_value_t = 256)]
    returning_users: usize,
}

/// The client name the config registers for this run's Clerk instance.
const CLIENT_NAME: &str = "bench";

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ensure!(
        args.clients.iter().all(|&c| c > 0),
        "--clients must be positive numbers"
    );
    let runtime = tokio::runtime::Runtime::new().context("cannot start the Tokio runtime")?;
    runtime.block_on(run(args))
}

/// Seconds since 1970.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// This run's Clerk instance: a key and the host serving its JWKS.
struct Issuer {
    issuer: String,
    kid: String,
    key: EncodingKey,
}

impl Issuer {
    fn token(&self, sub: &str, email: &str) -> anyhow::Result<String> {
        let now = now();
        // Valid for the whole run (a real Clerk token lives 60 s; the
        // exchange does the same work either way).
        let claims = json!({
            "azp": "http://127.0.0.1:8080",
            "email": email,
            "exp": now + 3600,
            "iat": now,
            "iss": self.issuer,
            "nbf": now - 10,
            "sid": format!("sess_{sub}"),
            "sub": sub,
            "v": 2,
        });
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header.typ = Some("JWT".to_owned());
        Ok(jsonwebtoken::encode(&header, &claims, &self.key)?)
    }

    /// Signs one token per `(sub, email)`, on every core.
    fn tokens(&self, people: &[(String, String)]) -> anyhow::Result<Vec<String>> {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        let chunk = people.len().div_ceil(threads).max(1);
        std::thread::scope(|scope| {
            let handles: Vec<_> = people
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|(sub, email)| self.token(sub, email))
                            .collect::<anyhow::Result<Vec<_>>>()
                    })
                })
                .collect();
            let mut tokens = Vec::with_capacity(people.len());
            for handle in handles {
                match handle.join() {
                    Ok(part) => tokens.extend(part?),
                    Err(_) => bail!("a signing thread panicked"),
                }
            }
            Ok(tokens)
        })
    }
}

/// Makes a key, serves discovery and JWKS on a free loopback port.
async fn start_issuer() -> anyhow::Result<Issuer> {
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    let private = rsa::RsaPrivateKey::new(&mut rand::thread_rng(), 2048)?;
    let pem = private.to_pkcs1_pem(rsa::pkcs8::LineEnding::LF)?;
    let key = EncodingKey::from_rsa_pem(pem.as_bytes())?;
    let kid = "loadgen-1".to_owned();
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256)?;
    jwk.common.key_id = Some(kid.clone());

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let host = listener.local_addr()?.to_string();
    let issuer = format!("http://{host}");
    let discovery = json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
    });
    let jwks = json!({ "keys": [jwk] });
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { Json(discovery) }),
        )
        .route(
            "/.well-known/jwks.json",
            get(move || async move { Json(jwks) }),
        );
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            eprintln!("loadgen: the JWKS server stopped: {err}");
        }
    });
    Ok(Issuer { issuer, kid, key })
}

/// The emulator process; killed on drop.
struct EmulatorProcess {
    child: Child,
    api_uri: String,
    app_id: String,
}

impl Drop for EmulatorProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_emulator(args: &Args, config: &std::path::Path) -> anyhow::Result<EmulatorProcess> {
    let mut command = Command::new(&args.emulator);
    command.arg("--config").arg(config).args([
        "--clerk-addr",
        "127.0.0.1:0",
        "--instant-addr",
        "127.0.0.1:0",
    ]);
    match &args.data_dir {
        Some(dir) => command.arg("--data-dir").arg(dir),
        None => command.arg("--in-memory"),
    };
    let child = command
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", args.emulator.display()))?;
    let mut process = EmulatorProcess {
        child,
        api_uri: String::new(),
        app_id: String::new(),
    };
    let mut values =
        emulator::startup::wait_for_ready(&mut process.child, Duration::from_secs(60))?;
    process.api_uri = values.remove("INSTANT_API_URI").unwrap_or_default();
    process.app_id = values.remove("INSTANT_APP_ID").unwrap_or_default();
    ensure!(
        !process.api_uri.is_empty(),
        "the emulator did not print INSTANT_API_URI"
    );
    Ok(process)
}

/// One measured phase.
struct Phase {
    exchanges: usize,
    elapsed: Duration,
    /// Sorted latencies.
    latencies: Vec<Duration>,
}

impl Phase {
    fn rate(&self) -> f64 {
        self.exchanges as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }
}

/// Sends exchanges from `clients` concurrent clients until `tokens` run out
/// (each used once, in order, cycling if `cycle`) or `duration` passes.
async fn measure(
    http: &reqwest::Client,
    url: &str,
    app_id: &str,
    tokens: Arc<Vec<String>>,
    clients: usize,
    duration: Option<Duration>,
) -> anyhow::Result<Phase> {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = duration.map(|d| started + d);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let (http, url, app_id, tokens, next) = (
            http.clone(),
            url.to_owned(),
            app_id.to_owned(),
            tokens.clone(),
            next.clone(),
        );
        workers.spawn(async move {
            let mut latencies = Vec::new();
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                let token = match deadline {
                    // Time-boxed: cycle through the returning users.
                    Some(_) => &tokens[index % tokens.len()],
                    None => match tokens.get(index) {
                        Some(token) => token,
                        None => break,
                    },
                };
                let body = json!({
                    "app_id": app_id,
                    "client_name": CLIENT_NAME,
                    "id_token": token,
                });
                let sent = Instant::now();
                let response = http.post(&url).json(&body).send().await?;
                let status = response.status();
                let bytes = response.bytes().await?;
                latencies.push(sent.elapsed());
                if !status.is_success() {
                    bail!(
                        "exchange refused ({status}): {}",
                        String::from_utf8_lossy(&bytes)
                    );
                }
            }
            Ok::<_, anyhow::Error>(latencies)
        });
    }
    let mut latencies = Vec::new();
    while let Some(result) = workers.join_next().await {
        latencies.extend(result.context("a client task failed")??);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Ok(Phase {
        exchanges: latencies.len(),
        elapsed,
        latencies,
    })
}

/// CPU time (user + system) used so far by process `pid`, from
/// `/proc/<pid>/stat`; `None` where there is no /proc.
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ, the unit of these fields, is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

/// CPU used by the emulator and by this process across a phase.
struct CpuMeter {
    emulator_pid: u32,
    start: Option<(Duration, Duration)>,
}

impl CpuMeter {
    fn start(emulator_pid: u32) -> Self {
        Self {
            emulator_pid,
            start: cpu_time(emulator_pid).zip(cpu_time(std::process::id())),
        }
    }

    /// Microseconds of CPU per exchange: (emulator, load generator).
    fn per_exchange(&self, exchanges: usize) -> Option<(f64, f64)> {
        let (server0, client0) = self.start?;
        let server = cpu_time(self.emulator_pid)?.checked_sub(server0)?;
        let client = cpu_time(std::process::id())?.checked_sub(client0)?;
        let n = exchanges.max(1) as f64;
        Some((
            server.as_secs_f64() * 1e6 / n,
            client.as_secs_f64() * 1e6 / n,
        ))
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn run(args: Args) -> anyhow::Result<()> {
    let issuer = start_issuer().await?;
    let host = issuer
        .issuer
        .strip_prefix("http://")
        .context("issuer URL")?
        .to_owned();
    let config_dir = std::env::temp_dir().join(format!("loadgen-{}", std::process::id()));
    std::fs::create_dir_all(&config_dir)?;
    let config_path = config_dir.join("emulator.toml");
    std::fs::write(
        &config_path,
        format!(
            "[[apps]]\nid = {:?}\nadmin_token = {:?}\n\n[[apps.clerk_clients]]\nname = {CLIENT_NAME:?}\npublishable_key = {:?}\n",
            emulator::config::DEFAULT_APP_ID,
            emulator::config::DEFAULT_ADMIN_TOKEN,
            emulator::keys::publishable_key_for(&host),
        ),
    )?;
    let emulator = start_emulator(&args, &config_path);
    let _ = std::fs::remove_dir_all(&config_dir);
    let emulator = emulator?;
    let url = format!("{}/runtime/oauth/id_token", emulator.api_uri);
    let max_clients = args.clients.iter().copied().max().unwrap_or(1);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(max_clients)
        .tcp_nodelay(true)
        .build()?;

    let store = match &args.data_dir {
        Some(dir) => format!("SQLite file in {}", dir.display()),
        None => "in memory".to_owned(),
    };
    println!("emulator store: {store}; {}", emulator.api_uri);

    // Returning users: sign each in once, unmeasured.
    let returning: Vec<(String, String)> = (0..args.returning_users)
        .map(|i| (format!("user_back_{i}"), format!("back{i}@example.com")))
        .collect();
    let returning = Arc::new(issuer.tokens(&returning)?);
    measure(
        &http,
        &url,
        &emulator.app_id,
        returning.clone(),
        max_clients.min(returning.len()),
        None,
    )
    .await
    .context("signing in the returning users")?;

    println!(
        "{:<10} {:>7} {:>9} {:>11} {:>8} {:>8} {:>12} {:>12}",
        "users",
        "clients",
        "exchanges",
        "exchanges/s",
        "p50 ms",
        "p99 ms",
        "emulator CPU",
        "loadgen CPU"
    );
    let pid = emulator.child.id();
    let mut new_serial = 0usize;
    let mut goal = None;
    for &clients in &args.clients {
        let meter = CpuMeter::start(pid);
        let phase = measure(
            &http,
            &url,
            &emulator.app_id,
            returning.clone(),
            clients,
            Some(Duration::from_secs_f64(args.seconds)),
        )
        .await?;
        print_row("returning", clients, &phase, &meter);
        if clients == 64 {
            goal = Some((phase.rate(), phase.percentile(99.0)));
        }

        // New users: as many as the returning rate would do in the same
        // time, capped, each with a token signed now.
        let count = ((phase.rate() * args.seconds) as usize).clamp(200, args.max_new);
        let people: Vec<(String, String)> = (new_serial..new_serial + count)
            .map(|i| (format!("user_new_{i}"), format!("new{i}@example.com")))
            .collect();
        new_serial += count;
        let tokens = Arc::new(issuer.tokens(&people)?);
        let meter = CpuMeter::start(pid);
        let phase = measure(&http, &url, &emulator.app_id, tokens, clients, None).await?;
        print_row("new", clients, &phase, &meter);
    }
    if let Some((rate, p99)) = goal {
        let met = rate >= 5000.0 && p99 < Duration::from_millis(20);
        println!(
            "goal at 64 clients, returning users: ≥ 5000 exchanges/s and p99 < 20 ms: {} \
             ({rate:.0}/s, p99 {:.2} ms)",
            if met { "met" } else { "NOT met" },
            millis(p99)
        );
    }
    drop(emulator);
    Ok(())
}

fn print_row(kind: &str, clients: usize, phase: &Phase, meter: &CpuMeter) {
    let (server, client) = match meter.per_exchange(phase.exchanges) {
        Some((server, client)) => (format!("{server:.0} µs"), format!("{client:.0} µs")),
        None => ("?".to_owned(), "?".to_owned()),
    };
    println!(
        "{:<10} {:>7} {:>9} {:>11.0} {:>8.2} {:>8.2} {:>12} {:>12}",
        kind,
        clients,
        phase.exchanges,
        phase.rate(),
        millis(phase.percentile(50.0)),
        millis(phase.percentile(99.0)),
        server,
        client,
    );
}
