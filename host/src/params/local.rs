//! The local parameter store: one EDN file mapping full names to parameters,
//! `{"/datomic-shared/dev/app/db-name" {:value "db" :type :string} …}` with `:type`
//! `:string` or `:secure-string`. The embedded default, at `$ION_HOME/params.edn`
//! (`ION_HOME` defaults to `~/.ion`). Secure values are stored as they are (protect the
//! file); what makes them secure here is that the host never logs or prints them unasked.

use super::{Param, ParamsError, ParamsFuture, ParamsProvider, check_path};
use ion_edn::Edn;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A parameter store in an EDN file.
#[derive(Debug, Clone)]
pub struct LocalStore {
    file: PathBuf,
}

impl LocalStore {
    /// The store in `file` (which need not exist yet).
    pub fn new(file: impl Into<PathBuf>) -> LocalStore {
        LocalStore { file: file.into() }
    }

    /// The default store: `$ION_HOME/params.edn`, or `~/.ion/params.edn`.
    pub fn default_file() -> PathBuf {
        let home = std::env::var_os("ION_HOME")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| ".".into())).join(".ion")
            });
        home.join("params.edn")
    }

    /// The file this store lives in.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Every parameter in the store.
    pub fn read_all(&self) -> Result<BTreeMap<String, Param>, ParamsError> {
        let text = match std::fs::read_to_string(&self.file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => {
                return Err(ParamsError(format!(
                    "{}: cannot read the parameter store ({e})",
                    self.file.display()
                )));
            }
        };
        let doc = ion_edn::read(&text)
            .map_err(|e| ParamsError(format!("{}: not EDN: {e}", self.file.display())))?;
        let Edn::Map(entries) = &doc else {
            return Err(ParamsError(format!(
                "{}: expected a map from parameter names to {{:value … :type …}}",
                self.file.display()
            )));
        };
        let mut out = BTreeMap::new();
        for (k, v) in entries {
            let Edn::Str(name) = k else {
                return Err(ParamsError(format!(
                    "{}: the key {} is not a string parameter name",
                    self.file.display(),
                    ion_edn::print(k)
                )));
            };
            let bad = |what: &str| {
                ParamsError(format!("{}: parameter {name}: {what}", self.file.display()))
            };
            check_path(name).map_err(|e| bad(&e.0))?;
            let value = match ion_edn::get(v, "value") {
                Some(Edn::Str(s)) => s.to_string(),
                _ => return Err(bad(":value must be a string")),
            };
            let secure = match ion_edn::get(v, "type") {
                None => false,
                Some(Edn::Key(t)) if t == "string" => false,
                Some(Edn::Key(t)) if t == "secure-string" => true,
                Some(_) => return Err(bad(":type must be :string or :secure-string")),
            };
            out.insert(
                name.to_string(),
                Param {
                    name: name.to_string(),
                    value,
                    secure,
                },
            );
        }
        Ok(out)
    }

    /// Adds or replaces one parameter, writing the file atomically (temp file + rename).
    pub fn put(&self, name: &str, value: &str, secure: bool) -> Result<(), ParamsError> {
        check_path(name)?;
        if name.ends_with('/') {
            return Err(ParamsError(format!(
                "parameter name {name:?} ends with '/'; a name is a path to a value"
            )));
        }
        let mut all = self.read_all()?;
        all.insert(
            name.to_owned(),
            Param {
                name: name.to_owned(),
                value: value.to_owned(),
                secure,
            },
        );
        let mut text = String::from("{");
        for (i, p) in all.values().enumerate() {
            let sep = if i == 0 { "" } else { "\n " };
            let kind = if p.secure {
                ":secure-string"
            } else {
                ":string"
            };
            text.push_str(&format!(
                "{sep}{} {{:value {}, :type {kind}}}",
                ion_edn::quote(&p.name),
                ion_edn::quote(&p.value)
            ));
        }
        text.push_str("}\n");
        let dir = self
            .file
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)
            .map_err(|e| ParamsError(format!("{}: cannot create ({e})", dir.display())))?;
        let tmp = self
            .file
            .with_extension(format!("edn.tmp{}", std::process::id()));
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &self.file))
            .map_err(|e| {
                ParamsError(format!(
                    "{}: cannot write the parameter store ({e})",
                    self.file.display()
                ))
            })
    }
}

impl ParamsProvider for LocalStore {
    fn get_by_path<'a>(&'a self, path: &'a str) -> ParamsFuture<'a> {
        Box::pin(async move {
            check_path(path)?;
            let prefix = if path.ends_with('/') {
                path.to_owned()
            } else {
                format!("{path}/")
            };
            Ok(self
                .read_all()?
                .into_values()
                .filter(|p| p.name.starts_with(&prefix))
                .collect())
        })
    }

    fn describe(&self) -> String {
        format!("local store {}", self.file.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn put_then_read_by_path() {
        let dir = std::env::temp_dir().join(format!("ion-params-{}", std::process::id()));
        let store = LocalStore::new(dir.join("params.edn"));
        assert!(store.get_by_path("/a/").await.unwrap().is_empty());
        store.put("/a/b/name", "x \"quoted\"", false).unwrap();
        store.put("/a/b/token", "s3cret", true).unwrap();
        store.put("/a/c/other", "y", false).unwrap();
        let got = store.get_by_path("/a/b").await.unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            (got[0].value.as_str(), got[0].secure),
            ("x \"quoted\"", false)
        );
        assert_eq!((got[1].value.as_str(), got[1].secure), ("s3cret", true));
        assert_eq!(store.get_by_path("/a").await.unwrap().len(), 3);
        assert!(store.put("/a/", "v", false).is_err());
        std::fs::write(store.file(), "{\"/a/x\" {:value 1}}").unwrap();
        let err = store.get_by_path("/a").await.unwrap_err();
        assert!(
            err.0.ends_with("parameter /a/x: :value must be a string"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
