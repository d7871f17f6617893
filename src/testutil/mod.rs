//! Helpers for tests (unit, acceptance and fuzz) and for `izuma-local keygen`: test certificates
//! are generated at run time, never committed.

pub mod certs;

/// A local backend on a fresh database in a temporary directory (kept alive by the returned guard).
#[cfg(test)]
pub fn local_backend() -> (tempfile::TempDir, crate::backend::local::LocalBackend) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let engine =
        crate::engine::Engine::open(&dir.path().join("izuma.db"), None).expect("open engine");
    (
        dir,
        crate::backend::local::LocalBackend::new(std::sync::Arc::new(engine)),
    )
}
