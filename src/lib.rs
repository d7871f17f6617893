//! terraform-provider-izuma: a Terraform provider for Izuma Device Management's application
//! access management, with an embedded engine that behaves like the service.
//!
//! Calls flow one way (see DESIGN.md):
//! `provider` (Terraform protocol adapter) → `resources` / `data_sources` (resource logic on
//! plain Rust types) → `backend` (interface) → `engine` (local) or `backend::remote` (HTTP).

pub mod api;
pub mod backend;
pub mod certificate;
pub mod engine;
pub mod rules;
#[doc(hidden)]
pub mod testutil;
