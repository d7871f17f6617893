//! The provider's log lines, in go-plugin's JSON log format on stderr: Terraform reads a plugin's
//! stderr and shows such lines at their level under `TF_LOG` / `TF_LOG_PROVIDER`. Without either
//! variable the provider writes nothing. Never pass a secret, key or token to these functions:
//! callers log ids, names of operations and error summaries only.

use std::io::Write;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }

    fn parse(text: &str) -> Option<Level> {
        match text.trim().to_ascii_uppercase().as_str() {
            "TRACE" | "JSON" => Some(Level::Trace),
            "DEBUG" => Some(Level::Debug),
            "INFO" => Some(Level::Info),
            "WARN" => Some(Level::Warn),
            "ERROR" => Some(Level::Error),
            _ => None,
        }
    }
}

/// The lowest level written, from `TF_LOG_PROVIDER` or else `TF_LOG`; `None` keeps the provider quiet.
fn threshold() -> Option<Level> {
    static THRESHOLD: OnceLock<Option<Level>> = OnceLock::new();
    *THRESHOLD.get_or_init(|| {
        ["TF_LOG_PROVIDER", "TF_LOG"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
            .and_then(|v| Level::parse(&v))
    })
}

/// One JSON log line for an operation on a resource type.
pub fn line(level: Level, resource_type: &str, operation: &str, message: &str) -> String {
    serde_json::json!({
        "@level": level.as_str(),
        "@message": message,
        "@module": "provider.izuma",
        "@timestamp": timestamp(),
        "tf_resource_type": resource_type,
        "tf_operation": operation,
    })
    .to_string()
}

/// Microseconds, exactly: go-plugin parses `@timestamp` with the layout
/// `2006-01-02T15:04:05.000000Z07:00` and shows a line it cannot parse as raw JSON text.
fn timestamp() -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

pub fn log(level: Level, resource_type: &str, operation: &str, message: &str) {
    if threshold().is_some_and(|t| level >= t) {
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{}", line(level, resource_type, operation, message));
    }
}

pub fn debug(resource_type: &str, operation: &str, message: &str) {
    log(Level::Debug, resource_type, operation, message);
}

/// Logs the `id` attribute of an object the provider just created or imported: ids are not
/// secret, and they let a log reader find the object in the service.
pub fn object_id(resource_type: &str, operation: &str, state: &crate::value::Object) {
    if let Some(id) = crate::value::ObjectExt::str_attr(state, "id") {
        debug(resource_type, operation, &format!("done: id {id}"));
    }
}

pub fn error(resource_type: &str, operation: &str, message: &str) {
    log(Level::Error, resource_type, operation, message);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_go_plugin_json() {
        let line = line(Level::Debug, "izuma_access_key", "create", "start");
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(parsed["@level"], "debug");
        assert_eq!(parsed["tf_resource_type"], "izuma_access_key");
        assert_eq!(parsed["tf_operation"], "create");
    }
}
