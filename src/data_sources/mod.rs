//! Data-source logic, on plain Rust types like the resources: each data source reads through the
//! backend interface and returns an object.

use async_trait::async_trait;

use crate::backend::Backend;
use crate::diagnostics::Diagnostics;
use crate::resources::Outcome;
use crate::schema::Schema;
use crate::value::Object;

pub mod access_keys;
pub mod application;
pub mod applications;
pub mod policy_group;

#[async_trait]
pub trait DataSourceLogic: Send + Sync + 'static {
    /// The type name without the provider prefix (`policy_group`).
    fn name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    fn validate(&self, config: &Object) -> Diagnostics;
    async fn read(&self, backend: &dyn Backend, config: &Object) -> Outcome<Object>;
}

/// All data sources of the provider.
pub fn all() -> Vec<Box<dyn DataSourceLogic>> {
    vec![
        Box::new(policy_group::PolicyGroupDataSource),
        Box::new(application::ApplicationDataSource),
        Box::new(applications::ApplicationsDataSource),
        Box::new(access_keys::AccessKeysDataSource),
    ]
}

/// A lookup that found nothing, or too much, as an error on the attribute it looked up by.
pub fn lookup_error(attribute: &str, summary: &str, detail: String) -> Diagnostics {
    let mut diags = Diagnostics::new();
    diags.attribute_error(attribute, summary, detail);
    diags
}
