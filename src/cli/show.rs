//! `izuma-local show`: what the database holds, as JSON.

// `ApiError` mirrors the wire error body; as in the engine, boxing the cold path buys nothing.
#![allow(clippy::result_large_err)]

use std::path::PathBuf;
use std::process::ExitCode;

use serde::Serialize;

use super::open_existing;
use crate::api::{AccessKey, ApiResult, ListPage, VerificationKey};
use crate::engine::{Engine, ListQuery, VerificationKeyFilter, MAX_LIST_LIMIT};

#[derive(clap::Args)]
/// Print the account, its applications and their keys as JSON
///
/// Access keys are shown without their secret (the database holds only a hash, which is not
/// shown either).
pub struct Args {
    /// The local engine's database file (must exist)
    #[arg(long)]
    db: PathBuf,
}

#[derive(Serialize)]
struct Shown {
    account: crate::api::Account,
    applications: Vec<ShownApplication>,
}

#[derive(Serialize)]
struct ShownApplication {
    #[serde(flatten)]
    application: crate::api::Application,
    access_keys: Vec<AccessKey>,
    verification_keys: Vec<VerificationKey>,
}

pub fn run(args: Args) -> ExitCode {
    let engine = match open_existing(&args.db) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    match collect(&engine) {
        Ok(shown) => {
            println!("{}", serde_json::to_string_pretty(&shown).expect("JSON"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("izuma-local show: {}", e.message);
            ExitCode::from(2)
        }
    }
}

fn collect(engine: &Engine) -> ApiResult<Shown> {
    let applications = all(|q| engine.list_applications(q, None))?
        .into_iter()
        .map(|application| {
            let id = application.id.clone();
            Ok(ShownApplication {
                access_keys: all(|q| engine.list_access_keys(q, Some(&id), None))?,
                verification_keys: all(|q| {
                    engine.list_verification_keys(q, &id, &VerificationKeyFilter::default())
                })?,
                application,
            })
        })
        .collect::<ApiResult<_>>()?;
    Ok(Shown {
        account: engine.account()?,
        applications,
    })
}

/// Every item of a paged list.
fn all<T>(page: impl Fn(&ListQuery) -> ApiResult<ListPage<T>>) -> ApiResult<Vec<T>>
where
    T: HasId,
{
    let mut query = ListQuery {
        limit: MAX_LIST_LIMIT,
        ..Default::default()
    };
    let mut items = Vec::new();
    loop {
        let listed = page(&query)?;
        query.after = listed.data.last().map(|item| item.id().to_owned());
        items.extend(listed.data);
        if !listed.has_more || query.after.is_none() {
            return Ok(items);
        }
    }
}

trait HasId {
    fn id(&self) -> &str;
}
impl HasId for crate::api::Application {
    fn id(&self) -> &str {
        &self.id
    }
}
impl HasId for AccessKey {
    fn id(&self) -> &str {
        &self.id
    }
}
impl HasId for VerificationKey {
    fn id(&self) -> &str {
        &self.id
    }
}
