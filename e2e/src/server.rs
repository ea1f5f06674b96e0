//! Serves a built app (Trunk's dist dir) over real HTTP on a free loopback
//! port, the way any static host would, with a single-page-app fallback so
//! that deep links such as `/account` load `index.html`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::thread::JoinHandle;

use tokio::sync::oneshot;
use tower_http::services::{ServeDir, ServeFile};

/// What can go wrong while starting the static server.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The directory has no `index.html`, so it is not a built app.
    #[error("{0} has no index.html: build the app first (`trunk build --release --dist <dir>`)")]
    NotADist(PathBuf),
    /// The server's thread, runtime or socket could not be set up.
    #[error("cannot start the static server: {0}")]
    Io(#[from] std::io::Error),
    /// The server thread stopped before it reported its address.
    #[error("the static server stopped before it was listening")]
    Stopped,
}

/// Result of this module.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A static file server running on a thread of its own; stopped on drop.
#[derive(Debug)]
pub struct StaticServer {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl StaticServer {
    /// Serves `dir` on `127.0.0.1` at a free port. Unknown paths get
    /// `dir/index.html` with status 200, as a single-page app needs.
    pub fn start(dir: &Path) -> Result<Self> {
        let index = dir.join("index.html");
        if !index.is_file() {
            return Err(Error::NotADist(dir.to_owned()));
        }
        let service = ServeDir::new(dir).fallback(ServeFile::new(index));
        let app = axum::Router::new().fallback_service(service);

        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (shutdown, stop) = oneshot::channel::<()>();
        let (started, is_started) = std::sync::mpsc::channel::<std::io::Result<()>>();
        let thread = std::thread::Builder::new()
            .name("e2e-static-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(std_listener) {
                        Ok(listener) => listener,
                        Err(err) => {
                            let _ = started.send(Err(err));
                            return;
                        }
                    };
                    let _ = started.send(Ok(()));
                    let _ = axum::serve(listener, app)
                        .with_graceful_shutdown(async {
                            let _ = stop.await;
                        })
                        .await;
                });
            })?;
        match is_started.recv() {
            Ok(Ok(())) => {}
            Ok(Err(err)) => return Err(Error::Io(err)),
            Err(_) => return Err(Error::Stopped),
        }
        Ok(Self {
            addr,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The origin pages are served from, e.g. `http://127.0.0.1:41234`.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The full URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin())
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dist_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("temp dir");
        for (name, body) in files {
            std::fs::write(dir.path().join(name), body).expect("write file");
        }
        dir
    }

    #[tokio::test]
    async fn serves_files_and_falls_back_to_index_for_routes() {
        let dir = dist_with(&[("index.html", "<p>the app</p>"), ("app.js", "let a;")]);
        let server = StaticServer::start(dir.path()).expect("server starts");

        let js = reqwest::get(server.url("/app.js"))
            .await
            .expect("GET /app.js");
        assert_eq!(js.status(), 200);
        assert_eq!(js.text().await.unwrap(), "let a;");

        let route = reqwest::get(server.url("/account"))
            .await
            .expect("GET /account");
        assert_eq!(route.status(), 200, "a deep link must load the app");
        assert_eq!(route.text().await.unwrap(), "<p>the app</p>");
    }

    #[test]
    fn refuses_a_directory_without_index_html() {
        let dir = dist_with(&[("app.js", "")]);
        let err = StaticServer::start(dir.path()).expect_err("no index.html");
        assert!(err.to_string().contains("has no index.html"), "{err}");
    }

    #[tokio::test]
    async fn stops_listening_when_dropped() {
        let dir = dist_with(&[("index.html", "x")]);
        let server = StaticServer::start(dir.path()).expect("server starts");
        let url = server.url("/");
        drop(server);
        assert!(reqwest::get(url).await.is_err(), "the port must be closed");
    }
}
