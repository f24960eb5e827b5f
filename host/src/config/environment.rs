//! The environment map (`get-env`) and app info (`get-app-info`).
//!
//! In a compute group the environment map is the group's. Outside one (`host invoke`,
//! `host dev`, a node started without `--group`) it comes from the `ION_ENV_MAP`
//! environment variable, read as EDN, with `DATOMIC_ENV_MAP` accepted for apps moving from
//! Datomic; app info likewise from `ION_APP_INFO_MAP` / `DATOMIC_APP_INFO_MAP`.

use super::error::{ConfigError, Problem};
use ion_edn::Edn;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Names of the variables read, in order of preference.
const ENV_MAP_VARS: [&str; 2] = ["ION_ENV_MAP", "DATOMIC_ENV_MAP"];
const APP_INFO_VARS: [&str; 2] = ["ION_APP_INFO_MAP", "DATOMIC_APP_INFO_MAP"];

/// What `get-env` returns: an EDN map.
#[derive(Debug, Clone, PartialEq)]
pub struct EnvironmentMap(Edn<'static>);

impl EnvironmentMap {
    /// An environment map given as EDN text (a group's); `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<EnvironmentMap, ConfigError> {
        read_map(text, source).map(EnvironmentMap)
    }

    /// The map from `ION_ENV_MAP` or `DATOMIC_ENV_MAP`; `{}` when neither is set.
    pub fn from_process_env() -> Result<EnvironmentMap, ConfigError> {
        Ok(EnvironmentMap(
            from_vars(&ENV_MAP_VARS)?.unwrap_or_else(empty_map),
        ))
    }

    /// The map as EDN text.
    pub fn to_edn(&self) -> String {
        ion_edn::print(&self.0)
    }

    /// The value under keyword `key`, e.g. `env`.
    pub fn get(&self, key: &str) -> Option<&Edn<'_>> {
        ion_edn::get(&self.0, key)
    }
}

impl Default for EnvironmentMap {
    fn default() -> Self {
        EnvironmentMap(empty_map())
    }
}

/// What `get-app-info` returns: the app's name and, in a group, the group's name, merged
/// under any map given in `ION_APP_INFO_MAP` / `DATOMIC_APP_INFO_MAP` (whose keys win, so a
/// developer can stand in for a deployed app).
#[derive(Debug, Clone, PartialEq)]
pub struct AppInfo(Edn<'static>);

impl AppInfo {
    /// App info for `app_name`, in `group` when known, with the process variables applied.
    /// `params_prefix` is the first segment of the app's parameter paths, reported as
    /// `:params-prefix` for the SDKs' `get-app-params`.
    pub fn new(
        app_name: &str,
        group: Option<&str>,
        params_prefix: &str,
    ) -> Result<AppInfo, ConfigError> {
        let overrides = from_vars(&APP_INFO_VARS)?;
        Ok(Self::with_overrides(
            app_name,
            group,
            params_prefix,
            overrides,
        ))
    }

    fn with_overrides(
        app_name: &str,
        group: Option<&str>,
        params_prefix: &str,
        overrides: Option<Edn<'static>>,
    ) -> AppInfo {
        let mut map = BTreeMap::new();
        map.insert(ion_edn::keyword("app-name"), ion_edn::string(app_name));
        if let Some(g) = group {
            map.insert(ion_edn::keyword("deployment-group"), ion_edn::string(g));
        }
        map.insert(
            ion_edn::keyword("params-prefix"),
            ion_edn::string(params_prefix),
        );
        if let Some(Edn::Map(extra)) = &overrides {
            map.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        AppInfo(Edn::Map(map))
    }

    /// The map as EDN text.
    pub fn to_edn(&self) -> String {
        ion_edn::print(&self.0)
    }

    /// The value under keyword `key`, e.g. `app-name`.
    pub fn get(&self, key: &str) -> Option<&Edn<'_>> {
        ion_edn::get(&self.0, key)
    }
}

fn empty_map() -> Edn<'static> {
    Edn::Map(BTreeMap::new())
}

/// The first of `vars` that is set, read as an EDN map.
fn from_vars(vars: &[&str]) -> Result<Option<Edn<'static>>, ConfigError> {
    for var in vars {
        match std::env::var(var) {
            Ok(text) => return read_map(&text, &format!("environment variable {var}")).map(Some),
            Err(std::env::VarError::NotPresent) => continue,
            Err(std::env::VarError::NotUnicode(_)) => {
                return Err(ConfigError {
                    source: PathBuf::from(format!("environment variable {var}")),
                    problems: vec![Problem {
                        key_path: String::new(),
                        found: None,
                        expected: "UTF-8 EDN text".into(),
                    }],
                });
            }
        }
    }
    Ok(None)
}

fn read_map(text: &str, source: &str) -> Result<Edn<'static>, ConfigError> {
    let fail = |found: Option<String>, expected: String| ConfigError {
        source: PathBuf::from(source),
        problems: vec![Problem {
            key_path: String::new(),
            found,
            expected,
        }],
    };
    match ion_edn::read(text) {
        Ok(map @ Edn::Map(_)) => Ok(map),
        Ok(other) => Err(fail(
            Some(ion_edn::print(&other)),
            "an EDN map, e.g. {:env :staging}".into(),
        )),
        Err(e) => Err(fail(
            None,
            format!("an EDN map, but the EDN is malformed at {e}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_info_keeps_known_keys_and_lets_overrides_win() {
        let info = AppInfo::with_overrides("starter", Some("g1"), "datomic-shared", None);
        assert_eq!(
            info.to_edn(),
            r#"{:app-name "starter", :deployment-group "g1", :params-prefix "datomic-shared"}"#
        );
        let over = ion_edn::read(r#"{:app-name "other" :extra 1}"#).unwrap();
        let info = AppInfo::with_overrides("starter", None, "p", Some(over));
        assert_eq!(
            info.to_edn(),
            r#"{:app-name "other", :extra 1, :params-prefix "p"}"#
        );
    }

    #[test]
    fn env_map_must_be_a_map() {
        let err = EnvironmentMap::parse("[:env]", "group g").unwrap_err();
        assert_eq!(
            err.to_string(),
            "group g: the document is [:env]; expected an EDN map, e.g. {:env :staging}"
        );
        assert!(
            EnvironmentMap::parse("{:env", "x")
                .unwrap_err()
                .to_string()
                .contains("malformed")
        );
    }
}
