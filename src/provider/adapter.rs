//! The thin layer between tf-provider and the resource logic: decode, call, encode, and turn our
//! diagnostics into Terraform's. It also shields users from two crate behaviours: diagnostics
//! built through the crate's constructors carry a Rust backtrace, and a panic would reach the user
//! as a bare "Request cancelled".

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use futures::FutureExt;
use tf_provider::value::ValueEmpty;
use tf_provider::{AttributePath, Diagnostic as TfDiagnostic, Diagnostics as TfDiagnostics};
use time::OffsetDateTime;

use super::logging;
use super::schema::to_tf_schema;
use super::wire::TfObject;
use crate::backend::Backend;
use crate::data_sources::DataSourceLogic;
use crate::diagnostics::{Diagnostics, PathStep, Severity};
use crate::resources::{Outcome, PlanRequest, ResourceLogic};
use crate::value::Object;

/// The backend chosen by `configure`, shared with resources that were handed out before it ran.
pub type BackendCell = Arc<OnceLock<Arc<dyn Backend>>>;

/// Copies our diagnostics into tf-provider's, building each one directly so that no backtrace is
/// attached (the crate's constructors capture one when `RUST_BACKTRACE` is set).
pub fn report(target: &mut TfDiagnostics, diags: Diagnostics) {
    for diag in diags.items {
        let mut attribute = AttributePath::default();
        for step in diag.path {
            attribute = match step {
                PathStep::Attribute(name) => attribute.attribute(name),
                PathStep::Index(i) => attribute.index(i),
                PathStep::Key(k) => attribute.key(k),
            };
        }
        let converted = TfDiagnostic {
            summary: diag.summary.into(),
            detail: diag.detail.into(),
            attribute,
        };
        match diag.severity {
            Severity::Error => target.errors.push(converted),
            Severity::Warning => target.warnings.push(converted),
        }
    }
}

/// Runs one request's work, turning a panic into an error diagnostic that names the operation.
pub async fn guarded<T>(
    operation: &str,
    type_name: &str,
    work: impl Future<Output = Outcome<T>>,
) -> Outcome<T> {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(outcome) => outcome,
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "no message".to_owned());
            logging::error(type_name, operation, &format!("panic: {message}"));
            Err(Diagnostics::single(
                format!("Internal error in the izuma provider during {operation} of {type_name}"),
                format!("The provider hit a bug ({message}). Nothing more was changed by this request; please report it with the Terraform log (TF_LOG=DEBUG)."),
            ))
        }
    }
}

/// Finishes a handler: reports diagnostics and gives tf-provider `Some` on success.
fn finish<T>(target: &mut TfDiagnostics, outcome: Outcome<T>) -> Option<T> {
    match outcome {
        Ok(value) => Some(value),
        Err(diags) => {
            report(target, diags);
            None
        }
    }
}

pub struct ResourceAdapter {
    logic: Box<dyn ResourceLogic>,
    backend: BackendCell,
    type_name: String,
}

impl ResourceAdapter {
    pub fn new(logic: Box<dyn ResourceLogic>, backend: BackendCell) -> Self {
        let type_name = format!("izuma_{}", logic.name());
        ResourceAdapter {
            logic,
            backend,
            type_name,
        }
    }

    fn backend(&self) -> Outcome<Arc<dyn Backend>> {
        configured_backend(&self.backend)
    }

    async fn run<T>(
        &self,
        diags: &mut TfDiagnostics,
        operation: &str,
        work: impl Future<Output = Outcome<T>>,
    ) -> Option<T> {
        logging::debug(&self.type_name, operation, "start");
        let outcome = guarded(operation, &self.type_name, work).await;
        if let Err(failure) = &outcome {
            logging::debug(
                &self.type_name,
                operation,
                &format!(
                    "failed: {}",
                    failure
                        .items
                        .first()
                        .map(|d| d.summary.as_str())
                        .unwrap_or("")
                ),
            );
        }
        finish(diags, outcome)
    }
}

pub fn configured_backend(cell: &BackendCell) -> Outcome<Arc<dyn Backend>> {
    cell.get().cloned().ok_or_else(|| {
        Diagnostics::single(
            "The izuma provider is not configured",
            "Terraform did not configure the provider before using it; check the provider block.",
        )
    })
}

fn object(state: TfObject) -> Object {
    state.0.unwrap_or_default()
}

#[async_trait]
impl tf_provider::Resource for ResourceAdapter {
    type State<'a> = TfObject;
    type PrivateState<'a> = ValueEmpty;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut TfDiagnostics) -> Option<tf_provider::schema::Schema> {
        Some(to_tf_schema(&self.logic.schema()))
    }

    async fn validate<'a>(&self, diags: &mut TfDiagnostics, config: TfObject) -> Option<()> {
        let config = object(config);
        self.run(diags, "validate", async {
            self.logic.validate(&config).into_result()
        })
        .await
    }

    async fn read<'a>(
        &self,
        diags: &mut TfDiagnostics,
        state: TfObject,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TfObject, ValueEmpty)> {
        let state = object(state);
        let fresh = self
            .run(diags, "read", async {
                let backend = self.backend()?;
                self.logic.read(backend.as_ref(), &state).await
            })
            .await?;
        Some((TfObject(fresh), private_state))
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut TfDiagnostics,
        proposed: TfObject,
        config: TfObject,
        _meta: ValueEmpty,
    ) -> Option<(TfObject, ValueEmpty)> {
        let (proposed, config) = (object(proposed), object(config));
        let plan = self
            .run(diags, "plan", async {
                self.logic.plan(&PlanRequest {
                    prior: None,
                    proposed: &proposed,
                    config: &config,
                    now: OffsetDateTime::now_utc(),
                })
            })
            .await?;
        report(diags, plan.diagnostics);
        Some((TfObject(Some(plan.state)), ValueEmpty::default()))
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut TfDiagnostics,
        prior: TfObject,
        proposed: TfObject,
        config: TfObject,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TfObject, ValueEmpty, Vec<AttributePath>)> {
        let (prior, proposed, config) = (object(prior), object(proposed), object(config));
        let plan = self
            .run(diags, "plan", async {
                self.logic.plan(&PlanRequest {
                    prior: Some(&prior),
                    proposed: &proposed,
                    config: &config,
                    now: OffsetDateTime::now_utc(),
                })
            })
            .await?;
        report(diags, plan.diagnostics);
        let replace = plan
            .requires_replace
            .into_iter()
            .map(AttributePath::new)
            .collect();
        Some((TfObject(Some(plan.state)), private_state, replace))
    }

    async fn plan_destroy<'a>(
        &self,
        _diags: &mut TfDiagnostics,
        _prior: TfObject,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<ValueEmpty> {
        Some(private_state)
    }

    async fn create<'a>(
        &self,
        diags: &mut TfDiagnostics,
        planned: TfObject,
        _config: TfObject,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TfObject, ValueEmpty)> {
        let planned = object(planned);
        let state = self
            .run(diags, "create", async {
                let backend = self.backend()?;
                self.logic.create(backend.as_ref(), &planned).await
            })
            .await?;
        logging::object_id(&self.type_name, "create", &state);
        Some((TfObject(Some(state)), private_state))
    }

    async fn update<'a>(
        &self,
        diags: &mut TfDiagnostics,
        prior: TfObject,
        planned: TfObject,
        _config: TfObject,
        private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<(TfObject, ValueEmpty)> {
        let (prior, planned) = (object(prior), object(planned));
        let state = self
            .run(diags, "update", async {
                let backend = self.backend()?;
                self.logic.update(backend.as_ref(), &prior, &planned).await
            })
            .await?;
        Some((TfObject(Some(state)), private_state))
    }

    async fn destroy<'a>(
        &self,
        diags: &mut TfDiagnostics,
        prior: TfObject,
        _private_state: ValueEmpty,
        _meta: ValueEmpty,
    ) -> Option<()> {
        let prior = object(prior);
        self.run(diags, "delete", async {
            let backend = self.backend()?;
            self.logic.delete(backend.as_ref(), &prior).await
        })
        .await
    }

    async fn import<'a>(
        &self,
        diags: &mut TfDiagnostics,
        id: String,
    ) -> Option<(TfObject, ValueEmpty)> {
        let state = self
            .run(diags, "import", async {
                let backend = self.backend()?;
                self.logic.import(backend.as_ref(), id.trim()).await
            })
            .await?;
        logging::object_id(&self.type_name, "import", &state);
        Some((TfObject(Some(state)), ValueEmpty::default()))
    }
}

pub struct DataSourceAdapter {
    logic: Box<dyn DataSourceLogic>,
    backend: BackendCell,
    type_name: String,
}

impl DataSourceAdapter {
    pub fn new(logic: Box<dyn DataSourceLogic>, backend: BackendCell) -> Self {
        let type_name = format!("izuma_{}", logic.name());
        DataSourceAdapter {
            logic,
            backend,
            type_name,
        }
    }
}

#[async_trait]
impl tf_provider::DataSource for DataSourceAdapter {
    type State<'a> = TfObject;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut TfDiagnostics) -> Option<tf_provider::schema::Schema> {
        Some(to_tf_schema(&self.logic.schema()))
    }

    async fn validate<'a>(&self, diags: &mut TfDiagnostics, config: TfObject) -> Option<()> {
        let config = object(config);
        let outcome = guarded("validate", &self.type_name, async {
            self.logic.validate(&config).into_result()
        })
        .await;
        finish(diags, outcome)
    }

    async fn read<'a>(
        &self,
        diags: &mut TfDiagnostics,
        config: TfObject,
        _meta: ValueEmpty,
    ) -> Option<TfObject> {
        let config = object(config);
        logging::debug(&self.type_name, "read", "start");
        let outcome = guarded("read", &self.type_name, async {
            let backend = configured_backend(&self.backend)?;
            self.logic.read(backend.as_ref(), &config).await
        })
        .await;
        finish(diags, outcome).map(|state| TfObject(Some(state)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error_diagnostic_with_its_message() {
        let outcome: Outcome<()> = guarded("create", "izuma_application", async {
            panic!("index out of bounds");
        })
        .await;
        let text = outcome.unwrap_err().to_text();
        assert!(
            text.contains(
                "Internal error in the izuma provider during create of izuma_application"
            ),
            "{text}"
        );
        assert!(text.contains("index out of bounds"), "{text}");
    }

    #[test]
    fn reported_diagnostics_carry_no_backtrace_and_keep_the_attribute() {
        // Backtraces are on in this process too (RUST_BACKTRACE=1 on these machines).
        std::env::set_var("RUST_BACKTRACE", "1");
        let mut ours = Diagnostics::new();
        ours.attribute_error("name", "Invalid name", "`name` must not be empty.");
        let mut theirs = TfDiagnostics::default();
        report(&mut theirs, ours);
        assert_eq!(theirs.errors.len(), 1);
        let diag = &theirs.errors[0];
        assert_eq!(diag.detail, "`name` must not be empty.");
        assert_eq!(diag.attribute, AttributePath::new("name"));
    }
}
