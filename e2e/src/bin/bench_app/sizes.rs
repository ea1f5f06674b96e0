//! What the app ships: every file of the dist dir, raw and gzip.

use std::io::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::{io_error, Result};

/// What a shipped file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    Wasm,
    Js,
    Css,
    Html,
    Other,
}

impl Kind {
    pub(crate) fn of(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some("wasm") => Kind::Wasm,
            Some("js" | "mjs") => Kind::Js,
            Some("css") => Kind::Css,
            Some("html") => Kind::Html,
            _ => Kind::Other,
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Kind::Wasm => "wasm",
            Kind::Js => "JS glue",
            Kind::Css => "CSS",
            Kind::Html => "index.html",
            Kind::Other => "other",
        }
    }
}

/// Raw and gzip size in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Size {
    pub(crate) raw: u64,
    pub(crate) gzip: u64,
}

impl std::ops::AddAssign for Size {
    fn add_assign(&mut self, other: Self) {
        self.raw += other.raw;
        self.gzip += other.gzip;
    }
}

/// One shipped file.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct ShippedFile {
    pub(crate) path: String,
    pub(crate) kind: Kind,
    #[serde(flatten)]
    pub(crate) size: Size,
}

/// What the app ships.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Shipped {
    pub(crate) files: Vec<ShippedFile>,
    /// Per kind.
    pub(crate) by_kind: Vec<(Kind, Size)>,
    /// Everything.
    pub(crate) total: Size,
    /// JS and wasm: what compares with the reference's JavaScript.
    pub(crate) code: Size,
}

fn gzip_size(bytes: &[u8]) -> u64 {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(bytes.len() / 2),
        flate2::Compression::best(),
    );
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().map(|out| out.len() as u64).unwrap_or(0)
}

/// Every file under `dist`, sized.
pub(crate) fn measure_dist(dist: &Path) -> Result<Shipped> {
    let mut files = Vec::new();
    let mut pending = vec![dist.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io_error("reading", &dir))? {
            let path = entry.map_err(io_error("reading", &dir))?.path();
            if path.is_dir() {
                pending.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).map_err(io_error("reading", &path))?;
            let relative = path.strip_prefix(dist).unwrap_or(&path);
            files.push(ShippedFile {
                path: relative.display().to_string(),
                kind: Kind::of(&path),
                size: Size {
                    raw: bytes.len() as u64,
                    gzip: gzip_size(&bytes),
                },
            });
        }
    }
    files.sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
    let mut by_kind: Vec<(Kind, Size)> = Vec::new();
    let (mut total, mut code) = (Size::default(), Size::default());
    for file in &files {
        match by_kind.last_mut() {
            Some((kind, size)) if *kind == file.kind => *size += file.size,
            _ => by_kind.push((file.kind, file.size)),
        }
        total += file.size;
        if matches!(file.kind, Kind::Wasm | Kind::Js) {
            code += file.size;
        }
    }
    Ok(Shipped {
        files,
        by_kind,
        total,
        code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_sized_by_kind() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app_bg.wasm"), vec![0u8; 4000]).unwrap();
        std::fs::write(dir.path().join("app.js"), "export {};".repeat(50)).unwrap();
        std::fs::write(dir.path().join("index.html"), "<!DOCTYPE html>").unwrap();
        let shipped = measure_dist(dir.path()).unwrap();
        assert_eq!(shipped.files.len(), 3);
        assert_eq!(shipped.total.raw, 4000 + 500 + 15);
        assert_eq!(shipped.code.raw, 4500);
        assert!(shipped.total.gzip < shipped.total.raw, "zeros compress");
        assert_eq!(shipped.by_kind[0].0, Kind::Wasm);
    }
}
