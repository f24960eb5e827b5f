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

/// The app's own parameters: those under `/PREFIX/ENV/APP-NAME/`, where ENV is
/// `get_env()`'s `:env`, APP-NAME `get_app_info()`'s `:app-name` and PREFIX its
/// `:params-prefix` (`datomic-shared` unless the node says otherwise) — the reference's
/// deploy-monitor convention.
pub fn get_app_params() -> Result<BTreeMap<String, String>, Error> {
    let info = get_app_info();
    let env = get_env();
    let text = |map: &Edn, key: &str, from: &str| match ion_edn::get(map, key) {
        Some(Edn::Str(s)) => Ok(s.to_string()),
        Some(Edn::Key(k)) | Some(Edn::Symbol(k)) => {
            Ok(k.rsplit('/').next().unwrap_or_default().to_owned())
        }
        _ => Err(Error::incorrect(format!(
            "{from} has no :{key}; get-app-params needs it to name the parameter path"
        ))),
    };
    let path = format!(
        "/{}/{}/{}/",
        text(&info, "params-prefix", "get-app-info")?,
        text(
            &env,
            "env",
            "get-env (set the environment map, e.g. ION_ENV_MAP='{:env :dev}')"
        )?,
        text(&info, "app-name", "get-app-info")?
    );
    get_params(&path)
}

/// Every parameter under `path`, by name (the last path segment), values decrypted.
pub fn get_params(path: &str) -> Result<BTreeMap<String, String>, Error> {
    let params = env::get_params(path).map_err(from_wit)?;
    Ok(params.into_iter().map(|p| (p.name, p.value)).collect())
}
