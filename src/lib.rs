//! terraform-provider-izuma: a Terraform provider for Izuma Device Management's application
//! access management, with an embedded engine that behaves like the service.
//!
//! Calls flow one way (see DESIGN.md):
//! `provider` (Terraform protocol adapter) → `resources` / `data_sources` (resource logic on
//! plain Rust types) → `backend` (interface) → `engine` (local) or `backend::remote` (HTTP).

// ApiError carries the whole service error body (fields, request id); boxing it everywhere would
// buy nothing on these cold paths.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod backend;
pub mod certificate;
pub mod cli;
pub mod data_sources;
pub mod diagnostics;
pub mod docs;
pub mod engine;
pub mod provider;
pub mod resources;
pub mod rules;
pub mod schema;
pub mod server;
#[doc(hidden)]
pub mod testutil;
pub mod value;

/// The User-Agent of remote-mode requests: the crate's version from Cargo.toml, like
/// `izuma-local --version`.
pub const USER_AGENT: &str = concat!("terraform-provider-izuma/", env!("CARGO_PKG_VERSION"));
