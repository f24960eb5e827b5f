//! A revision manifest: the EDN document that names a revision's parts and says what the
//! revision is (app, name, config, imports) and how it was made. Reading checks every
//! field and names the one that is wrong.

use super::part::PartId;
use anyhow::{Result, anyhow, bail};
use ion_edn::{Edn, keyword, string};
use std::collections::BTreeMap;

/// How a revision is named: by its git commit (reproducible) or by a user's name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RevName {
    /// A reproducible push: the commit's SHA.
    Rev(String),
    /// An unreproducible push: the name the user gave.
    Uname(String),
}

impl RevName {
    /// The name itself.
    pub fn as_str(&self) -> &str {
        match self {
            RevName::Rev(s) | RevName::Uname(s) => s,
        }
    }

    /// `:rev` or `:uname`.
    pub fn key(&self) -> &'static str {
        match self {
            RevName::Rev(_) => "rev",
            RevName::Uname(_) => "uname",
        }
    }

    /// Checks a uname: 1 to 128 letters, digits, `.`, `_` or `-`, not starting with `.`.
    pub fn uname(name: &str) -> Result<RevName> {
        let ok = !name.is_empty()
            && name.len() <= 128
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if !ok {
            bail!(
                "uname {name:?}: expected 1 to 128 letters, digits, '.', '_' or '-' (not starting with '.')"
            );
        }
        Ok(RevName::Uname(name.to_owned()))
    }
}

/// One part of a revision's component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartRef {
    /// The part's id.
    pub id: PartId,
    /// Its size in bytes.
    pub size: u64,
    /// Its place in the component's structure (`module 0`, `glue 1`).
    pub role: String,
}

/// A revision of an app in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The app's `:app-name`.
    pub app_name: String,
    /// The revision's name.
    pub name: RevName,
    /// When it was pushed, RFC 3339.
    pub pushed_at: String,
    /// The whole component's SHA-256.
    pub component: PartId,
    /// The whole component's size.
    pub size: u64,
    /// Its parts, in order; concatenated they are the component.
    pub parts: Vec<PartRef>,
    /// What the component imports.
    pub imports: Vec<String>,
    /// The text of the app's `ion-config.edn`.
    pub ion_config: String,
    /// How it was made: `:by`, `:build`, and for a reproducible push `:git-commit`.
    pub made: BTreeMap<String, String>,
}

impl Manifest {
    /// The manifest as EDN text.
    pub fn to_edn(&self) -> String {
        let parts = self
            .parts
            .iter()
            .map(|p| {
                map([
                    ("sha256", string(p.id.hex())),
                    ("size", Edn::Int(p.size as i64)),
                    ("role", string(p.role.clone())),
                ])
            })
            .collect();
        let made = Edn::Map(
            self.made
                .iter()
                .map(|(k, v)| (keyword(k), string(v.clone())))
                .collect(),
        );
        let doc = map([
            ("app-name", string(self.app_name.clone())),
            (self.name.key(), string(self.name.as_str())),
            (
                "pushed-at",
                Edn::Tagged("inst".into(), Box::new(string(self.pushed_at.clone()))),
            ),
            (
                "component",
                map([
                    ("sha256", string(self.component.hex())),
                    ("size", Edn::Int(self.size as i64)),
                    ("parts", Edn::Vector(parts)),
                ]),
            ),
            (
                "imports",
                Edn::Vector(self.imports.iter().map(|s| string(s.clone())).collect()),
            ),
            ("ion-config", string(self.ion_config.clone())),
            ("made", made),
        ]);
        ion_edn::print(&doc) + "\n"
    }

    /// Reads a manifest; `source` names it in errors.
    pub fn from_edn(text: &str, source: &str) -> Result<Manifest> {
        let doc = ion_edn::read(text).map_err(|e| anyhow!("{source}: not EDN: {e}"))?;
        let f = Fields { source, path: "" };
        let name = match (ion_edn::get(&doc, "rev"), ion_edn::get(&doc, "uname")) {
            (Some(_), None) => RevName::Rev(f.str(&doc, "rev")?),
            (None, Some(_)) => RevName::Uname(f.str(&doc, "uname")?),
            _ => bail!("{source}: expected exactly one of :rev and :uname"),
        };
        let pushed_at = match ion_edn::get(&doc, "pushed-at") {
            Some(Edn::Tagged(tag, inner)) if tag == "inst" => match inner.as_ref() {
                Edn::Str(s) => s.to_string(),
                _ => bail!("{source}: :pushed-at: expected #inst \"…\""),
            },
            _ => bail!("{source}: :pushed-at: expected #inst \"…\""),
        };
        let component = f.get(&doc, "component")?;
        let fc = Fields {
            source,
            path: ":component ",
        };
        let Edn::Vector(raw_parts) = fc.get(component, "parts")? else {
            bail!("{source}: :component :parts: expected a vector");
        };
        let mut parts = Vec::with_capacity(raw_parts.len());
        for (i, p) in raw_parts.iter().enumerate() {
            let path = format!(":component :parts {i} ");
            let fp = Fields {
                source,
                path: &path,
            };
            parts.push(PartRef {
                id: fp.id(p, "sha256")?,
                size: fp.size(p, "size")?,
                role: fp.str(p, "role")?,
            });
        }
        let imports = match f.get(&doc, "imports")? {
            Edn::Vector(items) => items
                .iter()
                .map(|i| match i {
                    Edn::Str(s) => Ok(s.to_string()),
                    _ => Err(anyhow!("{source}: :imports: expected strings")),
                })
                .collect::<Result<Vec<_>>>()?,
            _ => bail!("{source}: :imports: expected a vector of strings"),
        };
        let made = match f.get(&doc, "made")? {
            Edn::Map(m) => m
                .iter()
                .map(|(k, v)| match (k, v) {
                    (Edn::Key(k), Edn::Str(v)) => Ok((k.to_string(), v.to_string())),
                    _ => Err(anyhow!("{source}: :made: expected keywords to strings")),
                })
                .collect::<Result<BTreeMap<_, _>>>()?,
            _ => bail!("{source}: :made: expected a map"),
        };
        let manifest = Manifest {
            app_name: f.str(&doc, "app-name")?,
            name,
            pushed_at,
            component: fc.id(component, "sha256")?,
            size: fc.size(component, "size")?,
            parts,
            imports,
            ion_config: f.str(&doc, "ion-config")?,
            made,
        };
        let total: u64 = manifest.parts.iter().map(|p| p.size).sum();
        if total != manifest.size {
            bail!(
                "{source}: :component: its parts add up to {total} bytes, its :size says {}",
                manifest.size
            );
        }
        Ok(manifest)
    }
}

/// An EDN map from keyword names to values.
pub(crate) fn map<const N: usize>(entries: [(&str, Edn<'static>); N]) -> Edn<'static> {
    Edn::Map(entries.into_iter().map(|(k, v)| (keyword(k), v)).collect())
}

/// Typed field access with errors that name the document and the field.
pub(crate) struct Fields<'s> {
    pub(crate) source: &'s str,
    pub(crate) path: &'s str,
}

impl Fields<'_> {
    /// A string field that may be absent or nil.
    pub(crate) fn opt_str(&self, m: &Edn<'_>, key: &str) -> Result<Option<String>> {
        match ion_edn::get(m, key) {
            None | Some(Edn::Nil) => Ok(None),
            Some(_) => self.str(m, key).map(Some),
        }
    }

    pub(crate) fn get<'a, 'e>(&self, m: &'a Edn<'e>, key: &str) -> Result<&'a Edn<'e>> {
        ion_edn::get(m, key)
            .ok_or_else(|| anyhow!("{}: {}:{key} is missing", self.source, self.path))
    }

    pub(crate) fn str(&self, m: &Edn<'_>, key: &str) -> Result<String> {
        match self.get(m, key)? {
            Edn::Str(s) => Ok(s.to_string()),
            v => bail!(
                "{}: {}:{key}: expected a string, found {}",
                self.source,
                self.path,
                ion_edn::type_name(v)
            ),
        }
    }

    pub(crate) fn size(&self, m: &Edn<'_>, key: &str) -> Result<u64> {
        match self.get(m, key)? {
            Edn::Int(n) if *n >= 0 => Ok(*n as u64),
            v => bail!(
                "{}: {}:{key}: expected a size in bytes, found {}",
                self.source,
                self.path,
                ion_edn::print(v)
            ),
        }
    }

    fn id(&self, m: &Edn<'_>, key: &str) -> Result<PartId> {
        PartId::parse(&self.str(m, key)?)
            .map_err(|e| anyhow!("{}: {}:{key}: {e}", self.source, self.path))
    }
}
