//! The per-node parameter cache: answers from memory while fresh (`ttl`), answers stale
//! values while one background refresh runs, and keeps the last good values when a refresh
//! fails (logging that once, until a refresh succeeds again). A burst of calls therefore
//! reaches the provider once per path per `ttl`, not once per call.

use super::{Param, ParamsError, ParamsProvider, check_path};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long fetched parameters are served without asking the provider again.
pub const DEFAULT_TTL: Duration = Duration::from_secs(60);

/// A provider with a cache in front.
pub struct CachedParams {
    provider: Arc<dyn ParamsProvider>,
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
    /// Serialises first fetches, so concurrent first calls for a path fetch once.
    first_fetch: tokio::sync::Mutex<()>,
}

struct Entry {
    params: Arc<Vec<Param>>,
    fetched: Instant,
    refreshing: bool,
    failing: bool,
}

impl CachedParams {
    /// A cache of `provider`'s answers, fresh for `ttl`.
    pub fn new(provider: Arc<dyn ParamsProvider>, ttl: Duration) -> Arc<CachedParams> {
        Arc::new(CachedParams {
            provider,
            ttl,
            entries: Mutex::default(),
            first_fetch: tokio::sync::Mutex::new(()),
        })
    }

    /// What the provider is, for logs.
    pub fn describe(&self) -> String {
        self.provider.describe()
    }

    /// The parameters under `path`.
    pub async fn get(self: &Arc<Self>, path: &str) -> Result<Arc<Vec<Param>>, ParamsError> {
        check_path(path)?;
        if let Some(params) = self.cached(path) {
            return Ok(params);
        }
        let _one = self.first_fetch.lock().await;
        if let Some(params) = self.cached(path) {
            return Ok(params);
        }
        let params = Arc::new(
            self.provider
                .get_by_path(path)
                .await
                .map_err(|e| self.failed(path, e))?,
        );
        let entry = Entry {
            params: params.clone(),
            fetched: Instant::now(),
            refreshing: false,
            failing: false,
        };
        self.lock().insert(path.to_owned(), entry);
        Ok(params)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached answer, starting a background refresh when it is stale.
    fn cached(self: &Arc<Self>, path: &str) -> Option<Arc<Vec<Param>>> {
        let mut entries = self.lock();
        let entry = entries.get_mut(path)?;
        if entry.fetched.elapsed() >= self.ttl && !entry.refreshing {
            entry.refreshing = true;
            let (this, path) = (self.clone(), path.to_owned());
            tokio::spawn(async move { this.refresh(path).await });
        }
        Some(entry.params.clone())
    }

    async fn refresh(self: Arc<Self>, path: String) {
        let result = self.provider.get_by_path(&path).await;
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(&path) else {
            return;
        };
        entry.refreshing = false;
        match result {
            Ok(params) => {
                if entry.failing {
                    tracing::info!(
                        path,
                        provider = self.provider.describe(),
                        "parameters refresh again"
                    );
                }
                *entry = Entry {
                    params: Arc::new(params),
                    fetched: Instant::now(),
                    refreshing: false,
                    failing: false,
                };
            }
            Err(e) => {
                if !entry.failing {
                    tracing::warn!(path, provider = self.provider.describe(), error = %e, "refreshing parameters failed; serving the last good values");
                }
                entry.failing = true;
                entry.fetched = Instant::now();
            }
        }
    }

    fn failed(&self, path: &str, e: ParamsError) -> ParamsError {
        ParamsError(format!(
            "get-params {path:?} from the {}: {e}",
            self.provider.describe()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::LocalStore;
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn stale_values_are_served_while_refreshing_and_kept_when_a_refresh_fails() {
        let dir = std::env::temp_dir().join(format!("ion-params-cache-{}", std::process::id()));
        let store = LocalStore::new(dir.join("params.edn"));
        store.put("/app/k", "one", false).unwrap();
        let cache = CachedParams::new(Arc::new(store.clone()), Duration::ZERO);
        assert_eq!(cache.get("/app").await.unwrap()[0].value, "one");

        // The provider breaks: every call still answers the last good value.
        std::fs::write(store.file(), "{:broken").unwrap();
        for _ in 0..3 {
            assert_eq!(cache.get("/app").await.unwrap()[0].value, "one");
        }
        // It mends with a new value: a later call sees it once a refresh has run.
        store.put("/app/k", "two", false).unwrap_or_else(|_| {
            std::fs::write(store.file(), "{\"/app/k\" {:value \"two\"}}").unwrap();
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while cache.get("/app").await.unwrap()[0].value != "two" {
            assert!(Instant::now() < deadline, "the mended value never arrived");
            tokio::task::yield_now().await;
        }
        // A path never fetched fails plainly, naming the provider.
        std::fs::write(store.file(), "{:broken").unwrap();
        let err = cache.get("/other").await.unwrap_err();
        assert!(
            err.0
                .starts_with("get-params \"/other\" from the local store"),
            "{err}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
