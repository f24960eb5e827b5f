//! The revision store: immutable, content-addressed parts and the manifests that name
//! them, in a local directory (the default, `$ION_HOME/store`) or in S3. Owns the
//! store's layout and its promises: a part is stored under the SHA-256 of its bytes and
//! checked against it on every read, writes are atomic, a stored part or manifest is
//! never replaced by other content. Knows nothing of building, git or serving.
//!
//! Layout, the same on every backend:
//!
//! ```text
//! parts/sha256/<hex>                      one encoded part (see `part`)
//! revisions/<app>/rev/<git-sha>.edn       a reproducible revision's manifest
//! revisions/<app>/uname/<uname>.edn       an unreproducible revision's manifest
//! apps/<app>/latest                       the app's last pushed revision (a hint for deltas)
//! groups/<group>.edn                      compute groups (see the deploy module)
//! ```

mod backend;
pub mod gc;
pub mod manifest;
pub mod part;
mod s3;
pub mod split;

pub use backend::{Backend, Listed, LocalDir};
pub use manifest::{Manifest, PartRef, RevName};
pub use part::PartId;
pub use s3::S3Store;

use crate::aws::AwsTarget;
use anyhow::{Context as _, Result, anyhow, bail};
use std::path::PathBuf;
use std::sync::Arc;

/// A revision store.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    /// Decoded parts kept on this machine, so a part is fetched and decoded once.
    cache: Option<PathBuf>,
}

/// `$ION_HOME`, else `~/.ion`.
pub fn ion_home() -> PathBuf {
    std::env::var_os("ION_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| ".".into())).join(".ion")
        })
}

impl Store {
    /// The store `spec` names: `s3://bucket/prefix` or a directory. Decoded parts are
    /// cached under `$ION_HOME/cache/parts`.
    pub fn open(spec: &str, aws: AwsTarget) -> Result<Store> {
        let backend: Arc<dyn Backend> = if spec.starts_with("s3://") {
            Arc::new(S3Store::new(spec, aws)?)
        } else if spec.contains("://") {
            bail!("--store {spec}: expected a directory or s3://bucket/prefix");
        } else {
            Arc::new(LocalDir::new(spec))
        };
        Ok(Store {
            backend,
            cache: Some(ion_home().join("cache").join("parts")),
        })
    }

    /// The default store: `$ION_HOME/store`.
    pub fn default_spec() -> String {
        ion_home().join("store").display().to_string()
    }

    /// A store on `backend` without a local cache.
    pub fn on(backend: Arc<dyn Backend>) -> Store {
        Store {
            backend,
            cache: None,
        }
    }

    /// Where the store is.
    pub fn describe(&self) -> String {
        self.backend.describe()
    }

    /// The backend, for operations that move raw objects.
    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// The key of a part.
    pub fn part_key(id: &PartId) -> String {
        format!("parts/sha256/{}", id.hex())
    }

    /// Whether the part is stored.
    pub async fn has_part(&self, id: &PartId) -> Result<bool> {
        self.backend.exists(&Self::part_key(id)).await
    }

    /// Stores an encoded part unless one is stored already; `true` when written.
    pub async fn put_part(&self, id: &PartId, encoded: Vec<u8>) -> Result<bool> {
        self.backend.put(&Self::part_key(id), encoded, true).await
    }

    /// The stored encoding of a part.
    pub async fn get_encoded(&self, id: &PartId) -> Result<Vec<u8>> {
        self.backend
            .get(&Self::part_key(id))
            .await?
            .ok_or_else(|| anyhow!("part {id} is missing from the store {}", self.describe()))
    }

    /// A part's bytes, checked against its id (and cached on this machine); `size` is
    /// what its manifest says it holds, and the most its stored header may claim.
    pub async fn get_part(&self, id: &PartId, size: u64) -> Result<Vec<u8>> {
        self.get_part_at(id, 0, size).await
    }

    fn get_part_at<'a>(
        &'a self,
        id: &'a PartId,
        depth: u8,
        limit: u64,
    ) -> backend::Fut<'a, Vec<u8>> {
        Box::pin(async move {
            if let Some(bytes) = self.cached(id) {
                return Ok(bytes);
            }
            if depth > part::MAX_DEPTH {
                bail!(
                    "part {id}: its delta chain is longer than {}",
                    part::MAX_DEPTH
                );
            }
            let encoded = self.get_encoded(id).await?;
            let corrupt = |e: anyhow::Error| {
                anyhow!(
                    "part {id} in the store {} is corrupt: {e:#}",
                    self.describe()
                )
            };
            let header = part::header(&encoded).map_err(corrupt)?;
            let base = match header.base {
                Some((base_id, _)) => Some(
                    self.get_part_at(&base_id, depth + 1, part::MAX_PART_BYTES)
                        .await?,
                ),
                None => None,
            };
            let bytes =
                tokio::task::spawn_blocking(move || part::decode(&encoded, base.as_deref(), limit))
                    .await?
                    .map_err(corrupt)?;
            let got = PartId::of(&bytes);
            if got != *id {
                return Err(corrupt(anyhow!("its content hashes to {got}")));
            }
            self.keep(id, &bytes);
            Ok(bytes)
        })
    }

    fn cached(&self, id: &PartId) -> Option<Vec<u8>> {
        let path = self.cache.as_ref()?.join(id.hex());
        let bytes = std::fs::read(&path).ok()?;
        if PartId::of(&bytes) == *id {
            Some(bytes)
        } else {
            let _ = std::fs::remove_file(&path);
            None
        }
    }

    /// Keeps decoded bytes in the local cache (best effort: a failure only costs a refetch).
    pub fn keep(&self, id: &PartId, bytes: &[u8]) {
        if let Some(dir) = &self.cache {
            let _ = LocalDir::new(dir).put_now(&id.hex(), bytes);
        }
    }

    fn manifest_key(app: &str, name: &RevName) -> String {
        format!("revisions/{app}/{}/{}.edn", name.key(), name.as_str())
    }

    /// Stores a manifest unless one with that name exists; `false` when one did.
    pub async fn put_manifest(&self, manifest: &Manifest) -> Result<bool> {
        let key = Self::manifest_key(&manifest.app_name, &manifest.name);
        let written = self
            .backend
            .put(&key, manifest.to_edn().into_bytes(), true)
            .await?;
        if written {
            let latest = format!("{} {}", manifest.name.key(), manifest.name.as_str());
            self.backend
                .put(
                    &format!("apps/{}/latest", manifest.app_name),
                    latest.into_bytes(),
                    false,
                )
                .await?;
        }
        Ok(written)
    }

    /// The manifest of `app`'s revision `name`, if stored.
    pub async fn get_manifest(&self, app: &str, name: &RevName) -> Result<Option<Manifest>> {
        self.manifest_at(&Self::manifest_key(app, name)).await
    }

    /// The manifest stored under `key`, if any; errors name the store and key.
    async fn manifest_at(&self, key: &str) -> Result<Option<Manifest>> {
        let Some(bytes) = self.backend.get(key).await? else {
            return Ok(None);
        };
        let source = format!("{}/{key}", self.describe());
        let text = String::from_utf8(bytes).with_context(|| format!("{source}: not UTF-8"))?;
        Manifest::from_edn(&text, &source).map(Some)
    }

    /// The app's last pushed revision, if any.
    pub async fn latest(&self, app: &str) -> Result<Option<Manifest>> {
        let Some(bytes) = self.backend.get(&format!("apps/{app}/latest")).await? else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&bytes);
        let name = match text.split_once(' ') {
            Some(("rev", n)) => RevName::Rev(n.trim().to_owned()),
            Some(("uname", n)) => RevName::Uname(n.trim().to_owned()),
            _ => return Ok(None),
        };
        self.get_manifest(app, &name).await
    }

    /// Every revision in the store, or only `app`'s, oldest push first.
    pub async fn revisions(&self, app: Option<&str>) -> Result<Vec<Manifest>> {
        let prefix = match app {
            Some(app) => format!("revisions/{app}/"),
            None => "revisions/".to_owned(),
        };
        let mut out = Vec::new();
        for listed in self.backend.list(&prefix).await? {
            if !listed.key.ends_with(".edn") {
                continue;
            }
            if let Some(manifest) = self.manifest_at(&listed.key).await? {
                out.push(manifest);
            }
        }
        out.sort_by(|a, b| a.pushed_at.cmp(&b.pushed_at));
        Ok(out)
    }

    /// The revision called `name` (a git SHA or a uname), in whichever app holds it.
    pub async fn find_revision(&self, name: &RevName) -> Result<Manifest> {
        let mut found: Vec<Manifest> = self
            .revisions(None)
            .await?
            .into_iter()
            .filter(|m| m.name == *name)
            .collect();
        match found.len() {
            1 => Ok(found.pop().expect("one")),
            0 => bail!(
                "the store {} holds no revision with :{} {:?}; `host revisions` lists them",
                self.describe(),
                name.key(),
                name.as_str()
            ),
            n => bail!(
                ":{} {:?} names revisions of {n} apps in the store {}",
                name.key(),
                name.as_str(),
                self.describe()
            ),
        }
    }

    /// A revision's component, reassembled from its parts and checked against its hash.
    pub async fn component(&self, manifest: &Manifest) -> Result<Vec<u8>> {
        // The manifest's size is only a hint: it is checked below, through the hash.
        let mut out = Vec::with_capacity(manifest.size.min(part::MAX_PART_BYTES) as usize);
        for p in &manifest.parts {
            out.extend(self.get_part(&p.id, p.size).await?);
        }
        let got = PartId::of(&out);
        if got != manifest.component {
            bail!(
                "revision {} of {}: its parts reassemble to {got}, not the component {}",
                manifest.name.as_str(),
                manifest.app_name,
                manifest.component
            );
        }
        Ok(out)
    }

    /// The names of the compute groups in the store.
    pub async fn groups(&self) -> Result<Vec<String>> {
        Ok(self
            .backend
            .list("groups/")
            .await?
            .into_iter()
            .filter_map(|l| {
                l.key
                    .strip_prefix("groups/")
                    .and_then(|k| k.strip_suffix(".edn"))
                    .filter(|k| !k.contains('/'))
                    .map(str::to_owned)
            })
            .collect())
    }
}
