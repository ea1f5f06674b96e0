//! Serving both roles: connections that go quiet are closed, and a stop
//! signal ends the process within a bounded time.
//!
//! axum's server waits for every open connection to finish before a
//! graceful shutdown completes, and it sets no timeout on reading a
//! request, so one client holding a half-sent request (headers without the
//! blank line, or a body shorter than its Content-Length) could keep the
//! process from ever exiting. Here each connection is closed after
//! [`READ_IDLE_TIMEOUT`] without traffic, and after a stop signal in-flight
//! requests get [`SHUTDOWN_GRACE`] before the servers are dropped.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// How long a connection may wait on the client with no bytes moving in
/// either direction: a half-sent request, or an idle keep-alive
/// connection, is closed after this. Longer than any request takes to
/// answer (the slowest, a first sign-in, is bounded by two discovery
/// fetches), and long enough that a client reusing an idle connection
/// rarely finds it closed.
pub const READ_IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// How long requests in flight at a stop signal may take to finish before
/// the process exits without them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// A TCP listener whose connections close after [`READ_IDLE_TIMEOUT`]
/// without traffic.
#[derive(Debug)]
pub struct IdleTimeoutListener {
    inner: TcpListener,
    timeout: Duration,
}

impl IdleTimeoutListener {
    /// Wraps `inner`; its connections time out after [`READ_IDLE_TIMEOUT`].
    pub fn new(inner: TcpListener) -> Self {
        Self {
            inner,
            timeout: READ_IDLE_TIMEOUT,
        }
    }
}

impl axum::serve::Listener for IdleTimeoutListener {
    type Io = IdleTimeout<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // axum's own accept loop: it logs and retries failed accepts.
        let (stream, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        (IdleTimeout::new(stream, self.timeout), addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// A connection whose reads fail with [`io::ErrorKind::TimedOut`] once it
/// has waited `timeout` for the client with no bytes read or written.
///
/// The clock runs only while a read is waiting: while the server works on
/// a request without reading, nothing times out, and any bytes moving in
/// either direction start it over.
#[derive(Debug)]
pub struct IdleTimeout<T> {
    inner: T,
    timeout: Duration,
    /// When the wait started, while one is under way.
    waiting_since: Option<Instant>,
    /// Wakes the reader at the deadline (reset for each wait).
    deadline: Pin<Box<Sleep>>,
}

impl<T> IdleTimeout<T> {
    fn new(inner: T, timeout: Duration) -> Self {
        Self {
            inner,
            timeout,
            waiting_since: None,
            deadline: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    /// Traffic moved: the next wait starts a fresh clock.
    fn progressed(&mut self) {
        self.waiting_since = None;
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleTimeout<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(result) => {
                this.progressed();
                Poll::Ready(result)
            }
            Poll::Pending => {
                if this.waiting_since.is_none() {
                    let now = Instant::now();
                    this.waiting_since = Some(now);
                    this.deadline.as_mut().reset(now + this.timeout);
                }
                match this.deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "no bytes from the client for {} s; closing the connection",
                            this.timeout.as_secs()
                        ),
                    ))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.progressed();
        }
        result
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let result = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            this.progressed();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// An error type with a 500 answer, for a handler that panicked.
pub trait InternalError: axum::response::IntoResponse {
    /// The 500 answer saying `message`.
    fn internal(message: String) -> Self;
}

/// A role's answer to a request that names it by a host other than
/// loopback (see [`loopback_host_only`]).
pub trait ForeignHost: axum::response::IntoResponse {
    /// The refusal saying `message`.
    fn foreign_host(message: String) -> Self;
}

/// Middleware (`axum::middleware::from_fn_with_state`, with where to open
/// the role instead): refuses, in `E`'s shape, every request that names the
/// role by a host other than loopback. The emulator listens on loopback
/// only, so such a `Host` comes from a page on another site whose name was
/// pointed at this machine (DNS rebinding), there to read or change users,
/// sessions and settings with the well-known default keys. A request with
/// no `Host` at all (no browser sends one) passes.
pub async fn loopback_host_only<E: ForeignHost>(
    axum::extract::State(open_at): axum::extract::State<std::sync::Arc<str>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let Some(host) = request.headers().get(axum::http::header::HOST) else {
        return next.run(request).await;
    };
    let loopback = host
        .to_str()
        .is_ok_and(|host| crate::keys::is_loopback_origin(&format!("http://{host}")));
    if loopback {
        return next.run(request).await;
    }
    E::foreign_host(format!(
        "The emulator answers only at a loopback address, and this request named it as {:?}, \
         as a page on another site whose name points to this machine would. Open it at \
         {open_at}",
        String::from_utf8_lossy(host.as_bytes())
    ))
    .into_response()
}

/// What [`catch_panic`] answers a panic with.
pub type PanicResponse = fn(Box<dyn std::any::Any + Send>) -> axum::response::Response;

/// Turns a panic in a handler into `E`'s 500 answer, in that role's error
/// shape; without it the connection would just be dropped.
pub fn catch_panic<E: InternalError>() -> tower_http::catch_panic::CatchPanicLayer<PanicResponse> {
    tower_http::catch_panic::CatchPanicLayer::custom(panic_response::<E> as PanicResponse)
}

fn panic_response<E: InternalError>(
    payload: Box<dyn std::any::Any + Send>,
) -> axum::response::Response {
    E::internal(format!(
        "The request's handler panicked ({}); this is a bug in the emulator, and other \
         requests are not affected.",
        panic_message(&*payload)
    ))
    .into_response()
}

/// The text a panic was raised with (`panic!` gives a `&str` or a `String`),
/// for the error answered in its place.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("no message")
}

/// Ctrl-C (SIGINT) and SIGTERM, caught from the moment [`listen`](Self::listen)
/// returns. Made before startup's work, so that a stop signal sent while
/// the emulator starts is kept: a process started with SIGINT ignored (a
/// script's `emulator &`) would otherwise lose a SIGINT sent before the
/// servers run, having no handler in place yet.
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Starts catching the stop signals.
    pub fn listen() -> io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Self {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    /// Resolves at the next stop signal (one sent since the last call
    /// included).
    pub async fn next(&mut self) {
        #[cfg(unix)]
        tokio::select! {
            _ = self.interrupt.recv() => {},
            _ = self.terminate.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// For the roles' unit tests: serving a router over real HTTP.
#[cfg(test)]
pub(crate) mod test_http {
    /// Serves `router` on a free loopback port for the rest of the test and
    /// GETs `path` from it: (status, JSON body).
    pub(crate) async fn get(
        router: axum::Router,
        path: &str,
    ) -> (axum::http::StatusCode, serde_json::Value) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        let response = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("http://{addr}{path}"))
            .send()
            .await
            .expect("an answer, not a dropped connection");
        (
            response.status(),
            response.json().await.expect("a JSON body"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    /// On real time (tokio's paused test clock needs its `test-util`
    /// feature, which this crate does not enable), so nothing here races the
    /// timeout: every check of elapsed time is a lower bound, and a stalled
    /// machine can only make the waits longer.
    #[tokio::test]
    async fn quiet_reads_time_out_and_traffic_restarts_the_clock() {
        let timeout = Duration::from_millis(300);
        // A deadline for the read that must time out, far beyond `timeout`,
        // so that a read that never does fails the test instead of hanging.
        let deadline = Duration::from_secs(30);
        let (mut client, server) = tokio::io::duplex(64);
        let mut server = IdleTimeout::new(server, timeout);
        let mut buffer = [0u8; 8];

        client.write_all(b"a").await.unwrap();
        assert_eq!(server.read(&mut buffer).await.unwrap(), 1);

        // A wait with nothing sent, given up by this test after half the
        // timeout (or, if the machine stalls that long, run out by itself).
        match tokio::time::timeout(timeout / 2, server.read(&mut buffer)).await {
            Err(_half_the_timeout) => {}
            Ok(Err(error)) if error.kind() == io::ErrorKind::TimedOut => {}
            Ok(other) => panic!("nothing was sent, yet the read gave {other:?}"),
        }
        // A byte then is read, and the next wait counts a whole timeout from
        // it. Had the clock not started over, that wait would end about half
        // a timeout in (or at once, after a stall).
        client.write_all(b"b").await.unwrap();
        assert_eq!(server.read(&mut buffer).await.unwrap(), 1);
        let started = Instant::now();
        let error = tokio::time::timeout(deadline, server.read(&mut buffer))
            .await
            .expect("a quiet read times out")
            .unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
        assert!(started.elapsed() >= timeout, "{:?}", started.elapsed());
        // Open until here: had the client end closed, the reads would have
        // seen the end of the stream rather than waited.
        drop(client);
    }
}
