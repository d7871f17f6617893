//! Diagnostics as plain data: what went wrong, and on which attribute. The adapter hands them to
//! Terraform, which points at the attribute in the user's configuration.

use crate::api::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    Attribute(String),
    Index(i64),
    Key(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    /// Empty for the resource (or provider) as a whole.
    pub path: Vec<PathStep>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics {
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    /// One error on the resource as a whole.
    pub fn single(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut diags = Diagnostics::new();
        diags.error(summary, detail);
        diags
    }

    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, Vec::new());
    }

    /// An error on a top-level attribute.
    pub fn attribute_error(
        &mut self,
        attribute: &str,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(
            Severity::Error,
            summary,
            detail,
            vec![PathStep::Attribute(attribute.to_owned())],
        );
    }

    pub fn path_error(
        &mut self,
        path: Vec<PathStep>,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Error, summary, detail, path);
    }

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, Vec::new());
    }

    pub fn attribute_warning(
        &mut self,
        attribute: &str,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(
            Severity::Warning,
            summary,
            detail,
            vec![PathStep::Attribute(attribute.to_owned())],
        );
    }

    fn push(
        &mut self,
        severity: Severity,
        summary: impl Into<String>,
        detail: impl Into<String>,
        path: Vec<PathStep>,
    ) {
        self.items.push(Diagnostic {
            severity,
            summary: summary.into(),
            detail: detail.into(),
            path,
        });
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// `Err(self)` when there are errors, for `?` in the resource logic.
    pub fn into_result(self) -> Result<(), Diagnostics> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(())
        }
    }

    /// All messages, for tests and logs.
    pub fn to_text(&self) -> String {
        self.items
            .iter()
            .map(|d| format!("{}: {}", d.summary, d.detail))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Turns a service (or engine) error into diagnostics. `action` says what was being done
/// ("create izuma_application \"web\""). Errors that name fields are attached to the attributes
/// of the same name when `attributes` lists them.
pub fn from_api_error(error: &ApiError, action: &str, attributes: &[&str]) -> Diagnostics {
    let mut diags = Diagnostics::new();
    let support = error
        .request_id
        .as_deref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default();
    let summary = match (error.code, error.kind.as_str()) {
        (401, _) => format!("Cannot {action}: the API key was refused"),
        (403, "access_denied") => format!("Cannot {action}: not an administrator"),
        (403, "account_limit_exceeded") => format!("Cannot {action}: account limit reached"),
        (409, _) => format!("Cannot {action}: already exists"),
        (404, _) => format!("Cannot {action}: not found"),
        (400, _) => format!("Cannot {action}: invalid value"),
        (0, _) => format!("Cannot {action}: the Izuma API could not be reached"),
        _ => format!("Cannot {action}"),
    };
    let hint = match (error.code, error.kind.as_str()) {
        (401, _) => "Check `api_key` (or IZUMA_API_KEY): it must be an active, unexpired access key.",
        (403, "access_denied") if !error.message.contains("Administrators") => "Managing applications and keys needs an access key of an application in the account's Administrators group.",
        _ => "",
    };
    let mut attached = false;
    for field in &error.fields {
        if attributes.contains(&field.name.as_str()) {
            diags.attribute_error(
                &field.name,
                summary.clone(),
                format!("{}{}", field.message, support),
            );
            attached = true;
        }
    }
    if !attached {
        diags.error(summary, join_sentences(&error.message, hint, &support));
    }
    diags
}

/// `message`, then `hint` as a sentence of its own, then `support`: "a. B. (request id x)".
fn join_sentences(message: &str, hint: &str, support: &str) -> String {
    let message = message.trim().trim_end_matches('.');
    if hint.is_empty() {
        format!("{message}.{support}")
    } else {
        format!("{message}. {hint}{support}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_messages_and_hints_read_as_sentences() {
        let mut error = ApiError::invalid_token("missing, unknown, inactive or expired credential");
        error.request_id = Some("ab".repeat(16));
        let text = from_api_error(&error, "read izuma_application x", &[]).to_text();
        assert!(text.contains("credential. Check `api_key`"), "{text}");
        assert!(
            text.ends_with(&format!("(request id {})", "ab".repeat(16))),
            "{text}"
        );

        let denied = ApiError::access_denied(
            "managing applications and keys needs an application in the Administrators group",
        );
        let text = from_api_error(&denied, "create izuma_application \"a\"", &[]).to_text();
        assert_eq!(text.matches("Administrators").count(), 1, "{text}");
    }
}
