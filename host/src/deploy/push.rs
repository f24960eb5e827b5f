//! `host push`: builds an app, checks it, and stores it as a revision. Parts the store
//! already holds are not uploaded again; a new part that resembles one of the app's
//! previous revision (same place in the component) is uploaded as a delta against it.
//! A reproducible push is named by its git commit; anything else needs a uname.

use super::conflicts::{self, Conflict};
use super::git;
use crate::config::IonConfig;
use crate::runtime::Runtime;
use crate::store::split::{self, Piece};
use crate::store::{Manifest, PartId, PartRef, RevName, Store, part};
use anyhow::{Context as _, Result, anyhow, bail};
use aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
use indicatif::ProgressBar;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

/// What to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// The app folder.
    pub app: PathBuf,
    /// An unreproducible name; `None` for a reproducible push named by the commit.
    pub uname: Option<String>,
    /// Push the component already built (unreproducible, so it needs a uname).
    pub no_build: bool,
}

/// What a push did.
#[derive(Debug, Clone)]
pub struct PushReport {
    /// The revision's manifest (the stored one when it was pushed before).
    pub manifest: Manifest,
    /// True when the store already held this revision.
    pub already_pushed: bool,
    /// Stored bytes uploaded.
    pub uploaded_bytes: u64,
    /// Parts uploaded.
    pub uploaded_parts: usize,
    /// Imports the host does not provide.
    pub conflicts: Vec<Conflict>,
    /// The compute groups known to the store.
    pub groups: Vec<String>,
}

/// Pushes the app in `opts.app` to `store`.
pub async fn push(
    store: &Store,
    runtime: &Runtime,
    opts: &PushOptions,
    progress: Option<&ProgressBar>,
) -> Result<PushReport> {
    let config_path = opts.app.join("ion-config.edn");
    let config = IonConfig::load(&config_path).map_err(|e| anyhow!("{e}"))?;
    let config_text = std::fs::read_to_string(&config_path)
        .with_context(|| format!("reading {}", config_path.display()))?;
    let name = match &opts.uname {
        Some(uname) => RevName::uname(uname)?,
        None if opts.no_build => bail!(
            "--no-build pushes a component that no commit is known to have made; give it a name with --uname NAME"
        ),
        None => RevName::Rev(git::reproducible_rev(&opts.app).map_err(|why| {
            anyhow!("cannot push {} reproducibly: {why}. Commit your changes, or push with --uname NAME for an unreproducible push", opts.app.display())
        })?),
    };
    let mut made = BTreeMap::new();
    made.insert(
        "by".to_owned(),
        format!("host {}", env!("CARGO_PKG_VERSION")),
    );
    let component_path = if opts.no_build {
        made.insert(
            "build".to_owned(),
            "prebuilt (host push --no-build)".to_owned(),
        );
        crate::build::component_path(&opts.app)
    } else {
        let language = crate::build::Language::of(&opts.app)?;
        made.insert("build".to_owned(), language.recipe().to_owned());
        crate::build::build_app(&opts.app)?
    };
    if let RevName::Rev(sha) = &name {
        made.insert("git-commit".to_owned(), sha.clone());
    }
    let bytes = std::fs::read(&component_path).with_context(|| {
        format!(
            "{}: cannot read the component; run `host build` first",
            component_path.display()
        )
    })?;
    let inspected =
        split::inspect(&bytes).map_err(|e| anyhow!("{}: {e:#}", component_path.display()))?;
    let conflicts = conflicts::check(runtime, &bytes, &inspected.imports)
        .map_err(|e| anyhow!("{}: {e:#}", component_path.display()))?;
    let groups = store.groups().await?;
    let component = PartId::of(&bytes);

    if let Some(existing) = store.get_manifest(&config.app_name, &name).await? {
        if existing.component != component && matches!(name, RevName::Uname(_)) {
            bail!(
                "uname {:?} already names a different revision of {} (component {}, pushed {}); unames must be unique or rollback cannot tell revisions apart: pick a new one",
                name.as_str(),
                config.app_name,
                existing.component,
                existing.pushed_at
            );
        }
        return Ok(PushReport {
            manifest: existing,
            already_pushed: true,
            uploaded_bytes: 0,
            uploaded_parts: 0,
            conflicts,
            groups,
        });
    }

    let previous = store.latest(&config.app_name).await.ok().flatten();
    if let Some(p) = progress {
        p.set_length(bytes.len() as u64);
    }
    let mut uploaded_bytes = 0;
    let mut uploaded_parts = 0;
    let mut seen = HashSet::new();
    let mut parts = Vec::with_capacity(inspected.pieces.len());
    for piece in &inspected.pieces {
        let raw = &bytes[piece.range.clone()];
        let id = PartId::of(raw);
        parts.push(PartRef {
            id,
            size: raw.len() as u64,
            role: piece.role.clone(),
        });
        if seen.insert(id) && !store.has_part(&id).await? {
            let encoded = encode(store, previous.as_ref(), piece, raw).await?;
            let len = encoded.len() as u64;
            if store.put_part(&id, encoded).await? {
                uploaded_bytes += len;
                uploaded_parts += 1;
            }
            store.keep(&id, raw);
        }
        if let Some(p) = progress {
            p.inc(raw.len() as u64);
        }
    }
    let manifest = Manifest {
        app_name: config.app_name.clone(),
        name: name.clone(),
        pushed_at: DateTime::from(std::time::SystemTime::now())
            .fmt(DateTimeFormat::DateTime)
            .unwrap_or_default(),
        component,
        size: bytes.len() as u64,
        parts,
        imports: inspected.imports,
        ion_config: config_text,
        made,
    };
    let manifest_text = manifest.to_edn();
    if !store.put_manifest(&manifest).await? {
        // Another push of the same name landed first: the stored one stands.
        let stored = store
            .get_manifest(&config.app_name, &name)
            .await?
            .ok_or_else(|| anyhow!("the manifest of {} vanished while pushing", name.as_str()))?;
        if stored.component != component && matches!(name, RevName::Uname(_)) {
            bail!(
                "uname {:?} was just pushed by someone else with different content; pick a new one",
                name.as_str()
            );
        }
        return Ok(PushReport {
            manifest: stored,
            already_pushed: true,
            uploaded_bytes,
            uploaded_parts,
            conflicts,
            groups,
        });
    }
    uploaded_bytes += manifest_text.len() as u64;
    Ok(PushReport {
        manifest,
        already_pushed: false,
        uploaded_bytes,
        uploaded_parts,
        conflicts,
        groups,
    })
}

/// Encodes a new part: as a delta against the part in the same place of the previous
/// revision when that is smaller than half the part, else whole.
async fn encode(
    store: &Store,
    previous: Option<&Manifest>,
    piece: &Piece,
    raw: &[u8],
) -> Result<Vec<u8>> {
    let kind = piece.role.split(' ').next().unwrap_or_default();
    let base = previous.and_then(|m| {
        m.parts.iter().find(|p| p.role == piece.role).or_else(|| {
            m.parts
                .iter()
                .filter(|p| p.role.starts_with(kind))
                .min_by_key(|p| p.size.abs_diff(raw.len() as u64))
        })
    });
    let raw_owned = raw.to_vec();
    if let Some(base) = base {
        let depth = store
            .get_encoded(&base.id)
            .await
            .ok()
            .and_then(|e| part::header(&e).ok())
            .map(|h| h.base.map_or(0, |(_, d)| d));
        if let (Some(depth), Ok(base_bytes)) = (depth, store.get_part(&base.id, base.size).await)
            && depth < part::MAX_DEPTH
        {
            let base_id = base.id;
            let raw = raw_owned.clone();
            let delta = tokio::task::spawn_blocking(move || {
                part::encode_delta(&raw, base_id, &base_bytes, depth)
            })
            .await??;
            if delta.len() < raw_owned.len() / 2 {
                return Ok(delta);
            }
        }
    }
    tokio::task::spawn_blocking(move || part::encode_whole(&raw_owned)).await?
}
