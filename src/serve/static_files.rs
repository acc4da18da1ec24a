//! The served directory's files over HTTP, without ever leaving it: `..`,
//! hidden names (`.git`, `.jankwasm`, `.nrepl-port`) and anything that is
//! not a plain relative path are refused, and the resolved path (symlinks
//! followed) must still be inside the directory.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StaticError {
    #[error("not found")]
    NotFound,
    #[error("forbidden path")]
    Forbidden,
}

/// A file to send.
#[derive(Debug)]
pub struct StaticFile {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

/// Reads `request_path` (already percent-decoded, without the leading `/`)
/// under `root`, which must be canonical. A directory means its `index.html`.
pub async fn read(root: &Path, request_path: &str) -> Result<StaticFile, StaticError> {
    let mut relative = PathBuf::new();
    for segment in request_path.split('/').filter(|s| !s.is_empty()) {
        let plain = !segment.starts_with('.')
            && !segment.contains(['\\', '\0'])
            && Path::new(segment)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !plain {
            return Err(StaticError::Forbidden);
        }
        relative.push(segment);
    }
    let mut path = resolve(root, &root.join(&relative)).await?;
    if tokio::fs::metadata(&path)
        .await
        .map_err(|_| StaticError::NotFound)?
        .is_dir()
    {
        path = resolve(root, &path.join("index.html")).await?;
    }
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| StaticError::NotFound)?;
    Ok(StaticFile {
        content_type: content_type(&path),
        bytes,
    })
}

/// `path` with symlinks resolved, if it exists inside `root`.
async fn resolve(root: &Path, path: &Path) -> Result<PathBuf, StaticError> {
    let canonical = tokio::fs::canonicalize(path)
        .await
        .map_err(|_| StaticError::NotFound)?;
    if canonical.starts_with(root) {
        Ok(canonical)
    } else {
        Err(StaticError::Forbidden)
    }
}

pub fn content_type(path: &Path) -> String {
    match path.extension().and_then(|e| e.to_str()) {
        Some("jank" | "clj" | "cljc" | "edn") => "text/plain; charset=utf-8".to_string(),
        _ => mime_guess::from_path(path)
            .first_or_octet_stream()
            .essence_str()
            .to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn serves_inside_and_refuses_outside() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "secret").unwrap();
        let served = tempfile::tempdir().unwrap();
        let root = served.path().canonicalize().unwrap();
        std::fs::write(root.join("app.js"), "let x = 1;").unwrap();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/index.html"), "<p>sub</p>").unwrap();
        std::fs::write(root.join(".nrepl-port"), "7889").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.txt"), root.join("link.txt"))
            .unwrap();

        let file = read(&root, "app.js").await.unwrap();
        assert_eq!(file.bytes, b"let x = 1;");
        assert_eq!(file.content_type, "text/javascript");
        assert_eq!(read(&root, "sub/").await.unwrap().bytes, b"<p>sub</p>");
        assert_eq!(
            read(&root, "../secret.txt").await.unwrap_err(),
            StaticError::Forbidden
        );
        assert_eq!(
            read(&root, "link.txt").await.unwrap_err(),
            StaticError::Forbidden
        );
        assert_eq!(
            read(&root, ".nrepl-port").await.unwrap_err(),
            StaticError::Forbidden
        );
        assert_eq!(
            read(&root, "missing.js").await.unwrap_err(),
            StaticError::NotFound
        );
    }
}
