//! The Terraform protocol adapter: the provider's schema and configuration, and the glue that
//! hands tf-provider our resources and data sources. Everything Terraform-protocol-specific lives
//! in this module; the resource logic below it works on plain Rust types.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tf_provider::{DynamicDataSource, DynamicResource};

use crate::api::{AccountTier, Secret};
use crate::backend::local::LocalBackend;
use crate::backend::remote::{
    RemoteSettings, DEFAULT_API_HOST, DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT,
};
use crate::backend::Backend;
use crate::diagnostics::{Diagnostics, PathStep};
use crate::engine::Engine;
use crate::schema::{AttrType, Attribute, Schema, SingleBlock};
use crate::value::{Object, ObjectExt, Value};

pub mod adapter;
pub mod logging;
pub mod schema;
pub mod wire;

use adapter::{report, BackendCell, DataSourceAdapter, ResourceAdapter};
use wire::TfObject;

pub fn provider_schema() -> Schema {
    Schema {
        description: "The Izuma provider manages applications, access keys and JWT verification keys of an Izuma Device Management account. It talks to the real service (remote mode: `api_key`) or to an embedded engine that behaves like it (local mode: a `local` block), never choosing by itself.",
        attributes: vec![
            Attribute::optional("api_host", AttrType::String, "Remote mode: base URL of the Izuma API. Environment variable `IZUMA_API_HOST`; default `https://api.us-east-1.mbedcloud.com`."),
            Attribute::optional("api_key", AttrType::String, "Remote mode: an access key (`ak_...`) of an application in the account's Administrators group. Environment variable `IZUMA_API_KEY`. Selects remote mode; cannot be combined with `local`.")
                .sensitive(),
            Attribute::optional("request_timeout_seconds", AttrType::Number, "Remote mode: timeout of each HTTP request, in seconds (1 to 600). Default 30."),
            Attribute::optional("max_retries", AttrType::Number, "Remote mode: how often an idempotent request is retried after a 429, a 5xx or a connection failure (0 to 10). Default 4."),
        ],
        blocks: vec![SingleBlock {
            name: "local",
            description: "Local mode: an embedded engine that behaves like the Izuma service, keeping the account in a database file. Its presence selects local mode. Without it, the environment variable `IZUMA_LOCAL_PATH` selects local mode with that file.",
            attributes: vec![
                Attribute::required("path", AttrType::String, "The engine's database file, created when missing. Relative paths are relative to Terraform's working directory."),
                Attribute::optional("account_type", AttrType::String, "`free` (at most 4 applications) or `commercial` (at most 25). Default `free`."),
            ],
        }],
    }
}

/// Which backend the configuration selects.
#[derive(Debug, Clone, PartialEq)]
pub enum BackendChoice {
    Local { path: PathBuf, tier: AccountTier },
    Remote(RemoteSettingsEq),
}

/// [`RemoteSettings`] with equality for tests (the key compares by value, never prints).
#[derive(Debug, Clone)]
pub struct RemoteSettingsEq(pub RemoteSettings);

impl PartialEq for RemoteSettingsEq {
    fn eq(&self, other: &Self) -> bool {
        self.0.api_host == other.0.api_host
            && self.0.api_key == other.0.api_key
            && self.0.request_timeout == other.0.request_timeout
            && self.0.max_retries == other.0.max_retries
    }
}

fn local_block(config: &Object) -> Option<&Object> {
    match config.attr("local") {
        Value::List(items) => items.first().and_then(|item| match item {
            Value::Map(block) => Some(block),
            _ => None,
        }),
        Value::Map(block) => Some(block),
        _ => None,
    }
}

fn local_path(attribute: &str) -> Vec<PathStep> {
    vec![
        PathStep::Attribute("local".into()),
        PathStep::Index(0),
        PathStep::Attribute(attribute.into()),
    ]
}

/// Checks the provider configuration on its own (unknown values pass).
pub fn validate_config(config: &Object) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if let Some(block) = local_block(config) {
        if let Some(tier) = block.str_attr("account_type") {
            if AccountTier::parse(tier).is_none() {
                diags.path_error(
                    local_path("account_type"),
                    "Invalid account_type",
                    format!("`account_type` is {tier:?}; allowed values are \"free\" (4 applications) and \"commercial\" (25 applications)."),
                );
            }
        }
        if block.str_attr("path").is_some_and(|p| p.trim().is_empty()) {
            diags.path_error(
                local_path("path"),
                "Invalid path",
                "`path` must name the engine's database file, for example \"izuma.db\".",
            );
        }
        if !config.attr("api_key").is_null() {
            diags.attribute_error(
                "api_key",
                "Both local mode and an API key are configured",
                "A `local` block selects the embedded engine and `api_key` selects the real service; configure one of them.",
            );
        }
    }
    if let Some(host) = config.str_attr("api_host") {
        if let Err(problem) = check_api_host(host) {
            diags.attribute_error(
                "api_host",
                "Invalid api_host",
                format!("`api_host` {problem}"),
            );
        }
    }
    if let Some(key) = config.str_attr("api_key") {
        if !key.starts_with("ak_") {
            diags.attribute_error("api_key", "Invalid api_key", "`api_key` must be an Izuma access key, which starts with \"ak_\" (the value is not shown).");
        }
    }
    check_number(config, "request_timeout_seconds", 1, 600, &mut diags);
    check_number(config, "max_retries", 0, 10, &mut diags);
    diags
}

/// `api_host` must be an http(s) URL with a host (plain http is for local stand-ins).
fn check_api_host(host: &str) -> Result<(), String> {
    match reqwest::Url::parse(host) {
        Ok(url) if matches!(url.scheme(), "https" | "http") && url.host().is_some() => Ok(()),
        _ => Err(format!(
            "is {host:?}; give an http(s) URL such as \"https://api.us-east-1.mbedcloud.com\"."
        )),
    }
}

fn check_number(config: &Object, name: &str, min: i64, max: i64, diags: &mut Diagnostics) {
    match config.attr(name) {
        Value::Null | Value::Unknown => {}
        value => match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => {}
            _ => diags.attribute_error(
                name,
                format!("Invalid {name}"),
                format!("`{name}` is a whole number from {min} to {max}."),
            ),
        },
    }
}

/// Chooses the backend from the configuration and the environment (`env` looks a variable up).
/// Precedence: a `local` block; else an `api_key` (configuration, then `IZUMA_API_KEY`); else
/// `IZUMA_LOCAL_PATH`. Both environment variables at once, or nothing at all, is an error: the
/// provider never guesses.
pub fn choose_backend(
    config: &Object,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<BackendChoice, Diagnostics> {
    let mut diags = validate_config(config);
    if !diags.is_empty() {
        return Err(diags);
    }
    for name in [
        "api_host",
        "api_key",
        "request_timeout_seconds",
        "max_retries",
    ] {
        if config.attr(name) == &Value::Unknown {
            diags.attribute_error(name, format!("`{name}` is not known yet"), "The provider configuration must be known at plan time; it cannot depend on resources that are not created yet.");
        }
    }
    if let Some(block) = local_block(config) {
        let (Some(path), tier) = (block.str_attr("path"), block.attr("account_type")) else {
            diags.path_error(
                local_path("path"),
                "`path` is not known yet",
                "The provider configuration must be known at plan time.",
            );
            return Err(diags);
        };
        let tier = tier
            .as_str()
            .and_then(AccountTier::parse)
            .unwrap_or_default();
        diags.into_result()?;
        return Ok(BackendChoice::Local {
            path: PathBuf::from(path),
            tier,
        });
    }
    diags.into_result()?;
    let env_value = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let api_key = config
        .str_attr("api_key")
        .map(str::to_owned)
        .or_else(|| env_value("IZUMA_API_KEY"));
    let local_path_env = env_value("IZUMA_LOCAL_PATH");
    match (api_key, local_path_env) {
        (Some(_), Some(_)) if config.attr("api_key").is_null() => Err(Diagnostics::single(
            "Both IZUMA_API_KEY and IZUMA_LOCAL_PATH are set",
            "IZUMA_API_KEY selects the real service and IZUMA_LOCAL_PATH the embedded engine; unset one of them, or configure the provider block explicitly.",
        )),
        (Some(key), _) => {
            if !key.starts_with("ak_") {
                return Err(Diagnostics::single("Invalid IZUMA_API_KEY", "IZUMA_API_KEY must be an Izuma access key, which starts with \"ak_\" (the value is not shown)."));
            }
            let api_host = config
                .str_attr("api_host")
                .map(str::to_owned)
                .or_else(|| env_value("IZUMA_API_HOST"))
                .unwrap_or_else(|| DEFAULT_API_HOST.to_owned());
            if let Err(problem) = check_api_host(&api_host) {
                return Err(Diagnostics::single("Invalid IZUMA_API_HOST", format!("IZUMA_API_HOST {problem}")));
            }
            let seconds = config.attr("request_timeout_seconds").as_i64();
            Ok(BackendChoice::Remote(RemoteSettingsEq(RemoteSettings {
                api_host: api_host.trim_end_matches('/').to_owned(),
                api_key: Secret::new(key),
                request_timeout: seconds.map_or(DEFAULT_REQUEST_TIMEOUT, |s| Duration::from_secs(s as u64)),
                max_retries: config.attr("max_retries").as_i64().map_or(DEFAULT_MAX_RETRIES, |n| n as u32),
            })))
        }
        (None, Some(path)) => Ok(BackendChoice::Local { path: PathBuf::from(path), tier: AccountTier::Free }),
        (None, None) => Err(Diagnostics::single(
            "No Izuma backend configured",
            "Configure one of:\n  - local mode (the embedded engine): provider \"izuma\" { local { path = \"izuma.db\" } }, or set IZUMA_LOCAL_PATH=izuma.db;\n  - remote mode (the real service): provider \"izuma\" { api_key = \"ak_...\" }, or set IZUMA_API_KEY (and IZUMA_API_HOST for another region).",
        )),
    }
}

/// Opens the chosen backend.
pub fn open_backend(choice: BackendChoice) -> Result<Arc<dyn Backend>, Diagnostics> {
    match choice {
        BackendChoice::Local { path, tier } => {
            let engine = Engine::open(&path, Some(tier)).map_err(|e| {
                let mut diags = Diagnostics::new();
                diags.path_error(
                    local_path("path"),
                    "Cannot open the local engine's database",
                    format!("{e:#}"),
                );
                diags
            })?;
            Ok(Arc::new(LocalBackend::new(Arc::new(engine))))
        }
        BackendChoice::Remote(RemoteSettingsEq(settings)) => {
            crate::backend::remote::RemoteBackend::new(settings)
                .map(|b| Arc::new(b) as Arc<dyn Backend>)
                .map_err(|e| {
                    Diagnostics::single("Cannot set up the Izuma API client", format!("{e:#}"))
                })
        }
    }
}

/// The provider as tf-provider sees it.
#[derive(Default)]
pub struct IzumaProvider {
    backend: BackendCell,
}

#[async_trait]
impl tf_provider::Provider for IzumaProvider {
    type Config<'a> = TfObject;
    type MetaState<'a> = tf_provider::value::ValueEmpty;

    fn schema(&self, _diags: &mut tf_provider::Diagnostics) -> Option<tf_provider::schema::Schema> {
        Some(schema::to_tf_schema(&provider_schema()))
    }

    async fn validate<'a>(
        &self,
        diags: &mut tf_provider::Diagnostics,
        config: TfObject,
    ) -> Option<()> {
        let result = validate_config(&config.0.unwrap_or_default()).into_result();
        match result {
            Ok(()) => Some(()),
            Err(found) => {
                report(diags, found);
                None
            }
        }
    }

    async fn configure<'a>(
        &self,
        diags: &mut tf_provider::Diagnostics,
        _terraform_version: String,
        config: TfObject,
    ) -> Option<()> {
        let config = config.0.unwrap_or_default();
        let env = |name: &str| std::env::var(name).ok();
        let opened = choose_backend(&config, &env).and_then(open_backend);
        match opened {
            Ok(backend) => {
                logging::debug("provider", "configure", "backend ready");
                // A provider process is configured once; a second configure keeps the first.
                let _ = self.backend.set(backend);
                Some(())
            }
            Err(found) => {
                report(diags, found);
                None
            }
        }
    }

    fn get_resources(
        &self,
        _diags: &mut tf_provider::Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicResource>>> {
        Some(
            crate::resources::all()
                .into_iter()
                .map(|logic| {
                    let name = logic.name().to_owned();
                    let adapter: Box<dyn DynamicResource> =
                        Box::new(ResourceAdapter::new(logic, self.backend.clone()));
                    (name, adapter)
                })
                .collect(),
        )
    }

    fn get_data_sources(
        &self,
        _diags: &mut tf_provider::Diagnostics,
    ) -> Option<HashMap<String, Box<dyn DynamicDataSource>>> {
        Some(
            crate::data_sources::all()
                .into_iter()
                .map(|logic| {
                    let name = logic.name().to_owned();
                    let adapter: Box<dyn DynamicDataSource> =
                        Box::new(DataSourceAdapter::new(logic, self.backend.clone()));
                    (name, adapter)
                })
                .collect(),
        )
    }
}

/// Serves the provider to Terraform over go-plugin.
pub async fn serve() -> anyhow::Result<()> {
    tf_provider::serve("izuma", IzumaProvider::default()).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn local(path: &str) -> Object {
        let block: Object = [("path".to_owned(), Value::string(path))].into();
        [("local".to_owned(), Value::List(vec![Value::Map(block)]))].into()
    }

    #[test]
    fn nothing_configured_is_an_error_that_says_how() {
        let err = choose_backend(&Object::new(), &no_env)
            .unwrap_err()
            .to_text();
        assert!(
            err.contains("IZUMA_LOCAL_PATH") && err.contains("api_key"),
            "{err}"
        );
    }

    #[test]
    fn a_local_block_selects_local_mode() {
        let choice = choose_backend(&local("x.db"), &no_env).unwrap();
        assert_eq!(
            choice,
            BackendChoice::Local {
                path: "x.db".into(),
                tier: AccountTier::Free
            }
        );
    }

    #[test]
    fn local_and_api_key_together_are_refused() {
        let mut config = local("x.db");
        config.set_attr("api_key", Value::string("ak_abc"));
        let err = choose_backend(&config, &no_env).unwrap_err().to_text();
        assert!(err.contains("configure one of them"), "{err}");
        assert!(!err.contains("ak_abc"));
    }

    #[test]
    fn environment_selects_but_never_both() {
        let env = |name: &str| match name {
            "IZUMA_LOCAL_PATH" => Some("env.db".to_owned()),
            _ => None,
        };
        assert_eq!(
            choose_backend(&Object::new(), &env).unwrap(),
            BackendChoice::Local {
                path: "env.db".into(),
                tier: AccountTier::Free
            }
        );
        let both = |name: &str| match name {
            "IZUMA_LOCAL_PATH" => Some("env.db".to_owned()),
            "IZUMA_API_KEY" => Some("ak_x".to_owned()),
            _ => None,
        };
        assert!(choose_backend(&Object::new(), &both).is_err());
    }

    #[test]
    fn api_hosts_need_a_scheme_and_a_host_from_config_and_environment() {
        let env = |name: &str| match name {
            "IZUMA_API_KEY" => Some("ak_x".to_owned()),
            "IZUMA_API_HOST" => Some("127.0.0.1:4000".to_owned()),
            _ => None,
        };
        let err = choose_backend(&Object::new(), &env).unwrap_err().to_text();
        assert!(err.contains("IZUMA_API_HOST"), "{err}");
        for bad in ["ftp://x", "not a url", "https://"] {
            let config: Object = [("api_host".to_owned(), Value::string(bad))].into();
            assert!(!validate_config(&config).is_empty(), "{bad}");
        }
        let good: Object = [(
            "api_host".to_owned(),
            Value::string("http://127.0.0.1:4000"),
        )]
        .into();
        assert!(validate_config(&good).is_empty());
    }

    #[test]
    fn a_bad_account_type_lists_the_allowed_values() {
        let mut config = local("x.db");
        if let Value::List(items) = config.get_mut("local").unwrap() {
            if let Value::Map(block) = &mut items[0] {
                block.set_attr("account_type", Value::string("enterprise"));
            }
        }
        let err = validate_config(&config).to_text();
        assert!(
            err.contains("\"free\"") && err.contains("\"commercial\""),
            "{err}"
        );
    }
}
