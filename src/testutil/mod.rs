//! Helpers for tests (unit, acceptance and fuzz) and for `izuma-local keygen`: test certificates
//! are generated at run time, never committed.

pub mod certs;
