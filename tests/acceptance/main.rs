//! Acceptance tests: the real `terraform` binary drives the provider binary built by cargo, in
//! local mode on a real engine database. One module per resource, as in the source tree.

#[path = "../common/mod.rs"]
mod common;

mod access_key;
mod application;
mod apply_rules;
mod bad_input;
mod drift;
mod install;
mod jwt_verification_key;
mod logs;
mod provider;
mod remote;
mod rotation;
