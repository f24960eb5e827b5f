//! Where the ion runs: the environment map, app info and parameters.

use crate::__private::{bindings::ion::host::env, from_wit};
use crate::{Edn, Error};
use std::collections::BTreeMap;

/// The compute group's environment map, e.g. `{:env :staging}`.
pub fn get_env() -> Edn {
    ion_edn::read(&env::get_env()).unwrap_or(Edn::Nil)
}

/// The app's info: at least `:app-name`, and `:deployment-group` in a group.
pub fn get_app_info() -> Edn {
    ion_edn::read(&env::get_app_info()).unwrap_or(Edn::Nil)
}

/// Every parameter under `path`, by name (the last path segment), values decrypted.
pub fn get_params(path: &str) -> Result<BTreeMap<String, String>, Error> {
    let params = env::get_params(path).map_err(from_wit)?;
    Ok(params.into_iter().map(|p| (p.name, p.value)).collect())
}
