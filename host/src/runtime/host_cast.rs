//! Host side of `ion:host/cast`: events, alerts, metrics and developer logs from ions,
//! checked and written as structured log records tagged with the app, ion and request id.

use super::bindings::cast::Host;
use super::bindings::types::{Category, IonError};
use super::state::IonState;
use ion_edn::Edn;
use std::sync::atomic::Ordering;

const UNITS: [&str; 7] = ["msec", "bytes", "kb", "mb", "gb", "sec", "count"];

/// The most casts one call may make. Past it each cast is refused as `busy` at once,
/// without parsing or logging, so an ion casting in a loop cannot flood the node's log;
/// the first refusal of a call is logged once.
pub const CASTS_PER_CALL: u32 = 10_000;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Event,
    Alert,
    Metric,
    Dev,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Event => "Event",
            Kind::Alert => "Alert",
            Kind::Metric => "Metric",
            Kind::Dev => "Dev",
        }
    }
}

impl Host for IonState {
    async fn event(&mut self, data: String) -> wasmtime::Result<Result<(), IonError>> {
        Ok(self.cast(Kind::Event, &data))
    }
    async fn alert(&mut self, data: String) -> wasmtime::Result<Result<(), IonError>> {
        Ok(self.cast(Kind::Alert, &data))
    }
    async fn metric(&mut self, data: String) -> wasmtime::Result<Result<(), IonError>> {
        Ok(self.cast(Kind::Metric, &data))
    }
    async fn dev(&mut self, data: String) -> wasmtime::Result<Result<(), IonError>> {
        Ok(self.cast(Kind::Dev, &data))
    }
}

impl IonState {
    fn cast(&mut self, kind: Kind, data: &str) -> Result<(), IonError> {
        let kind_name = kind.name().to_lowercase();
        self.casts = self.casts.saturating_add(1);
        if self.casts > CASTS_PER_CALL {
            if self.casts == CASTS_PER_CALL + 1 {
                let (app, ion, request_id) = (
                    &self.app.app_name,
                    &self.call.fn_name,
                    &self.call.request_id,
                );
                tracing::warn!(
                    app,
                    ion,
                    request_id,
                    cap = CASTS_PER_CALL,
                    "an ion passed the cast cap; its further casts in this call are refused"
                );
            }
            return Err(IonError {
                category: Category::Busy,
                message: format!(
                    "cast/{kind_name}: this call has made {CASTS_PER_CALL} casts, the most one call may make; further casts are refused"
                ),
                data: None,
            });
        }
        let map = check(kind, data).map_err(|message| IonError {
            category: Category::Incorrect,
            message: format!("cast/{kind_name}: {message}"),
            data: None,
        })?;
        let metrics = crate::metrics::metrics();
        if let (Kind::Metric, Some(Edn::Key(name))) = (kind, ion_edn::get(&map, "name")) {
            let value = match ion_edn::get(&map, "value") {
                Some(Edn::Int(n)) => *n as f64,
                Some(Edn::Double(d)) => d.into_inner(),
                _ => 0.0,
            };
            let units = match ion_edn::get(&map, "units") {
                Some(Edn::Key(u)) => u.as_ref(),
                _ => "",
            };
            if !metrics.cast_metric(&self.app.app_name, name, units, value) {
                return Err(IonError {
                    category: Category::Busy,
                    message: format!(
                        "cast/metric: app {} already has {} distinct metric names, the most an app may have; the new name :{name} is refused",
                        self.app.app_name,
                        crate::metrics::MAX_METRIC_NAMES_PER_APP
                    ),
                    data: None,
                });
            }
        }
        metrics.cast(&self.app.app_name, &kind_name);
        if matches!(kind, Kind::Dev) && !self.app.dev_mode {
            return Ok(());
        }
        if matches!(kind, Kind::Alert) {
            self.app.alerts.fetch_add(1, Ordering::Relaxed);
        }
        let json = ion_edn::edn_to_json(&map)
            .map(|j| j.to_string())
            .unwrap_or_else(|| ion_edn::print(&map));
        let (app, ion, request_id) = (
            &self.app.app_name,
            &self.call.fn_name,
            &self.call.request_id,
        );
        let r#type = kind.name();
        let revision = self.app.revision.get().map_or("none", String::as_str);
        let (group, node) = (crate::logs::group(), crate::logs::node());
        macro_rules! cast_event {
            ($level:ident) => {
                tracing::$level!(target: "ion::cast", r#type, app, ion, request_id, revision, group, node, data = %json)
            };
        }
        match kind {
            Kind::Alert => cast_event!(error),
            Kind::Dev => cast_event!(debug),
            _ => cast_event!(info),
        }
        Ok(())
    }
}

/// Parses and checks a cast map; the error says which key is wrong and why.
fn check(kind: Kind, data: &str) -> Result<Edn<'static>, String> {
    let map = ion_edn::read(data).map_err(|e| format!("the argument is not EDN ({e})"))?;
    let Edn::Map(entries) = &map else {
        return Err(format!("expected a map, got {}", ion_edn::type_name(&map)));
    };
    let required: &[&str] = match kind {
        Kind::Metric => &["name", "value"],
        _ => &["msg"],
    };
    for key in required {
        if ion_edn::get(&map, key).is_none() {
            return Err(format!("the map has no :{key}"));
        }
    }
    for (k, v) in entries {
        let Edn::Key(name) = k else {
            return Err(format!("keys must be keywords, got {}", ion_edn::print(k)));
        };
        match (kind, name.as_ref()) {
            (Kind::Metric, "name") if !matches!(v, Edn::Key(_)) => {
                return Err(format!(
                    ":name must be a keyword, got {}",
                    ion_edn::print(v)
                ));
            }
            (Kind::Metric, "value") if !matches!(v, Edn::Int(_) | Edn::Double(_)) => {
                return Err(format!(
                    ":value must be a number, got {}",
                    ion_edn::print(v)
                ));
            }
            (Kind::Metric, "units") if !matches!(v, Edn::Key(u) if UNITS.contains(&u.as_ref())) => {
                return Err(format!(
                    ":units must be one of :msec :bytes :kb :mb :gb :sec :count, got {}",
                    ion_edn::print(v)
                ));
            }
            (Kind::Metric, "name" | "value" | "units") => {}
            (Kind::Event | Kind::Alert | Kind::Dev, "msg") if !matches!(v, Edn::Str(_)) => {
                return Err(format!(":msg must be a string, got {}", ion_edn::print(v)));
            }
            (Kind::Event | Kind::Alert | Kind::Dev, "msg") | (Kind::Alert, "ex") => {}
            (_, other) if !other.contains('/') => {
                return Err(format!(":{other} must be namespaced, e.g. :my.app/{other}"));
            }
            _ => {}
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_maps_are_checked() {
        assert!(check(Kind::Event, r#"{:msg "hi" :my.app/n 1}"#).is_ok());
        assert!(check(Kind::Alert, r#"{:msg "bad" :ex "boom"}"#).is_ok());
        assert!(
            check(
                Kind::Metric,
                "{:name :my.app/latency :value 1.5 :units :msec}"
            )
            .is_ok()
        );
        assert_eq!(
            check(Kind::Event, "{:my.app/n 1}").unwrap_err(),
            "the map has no :msg"
        );
        assert_eq!(
            check(Kind::Event, "[1]").unwrap_err(),
            "expected a map, got a vector"
        );
        assert_eq!(
            check(Kind::Event, r#"{:msg "x" :n 1}"#).unwrap_err(),
            ":n must be namespaced, e.g. :my.app/n"
        );
        assert_eq!(
            check(Kind::Metric, "{:name :x :value \"1\"}").unwrap_err(),
            ":value must be a number, got \"1\""
        );
        assert!(
            check(Kind::Metric, "{:name :x :value 1 :units :hours}")
                .unwrap_err()
                .starts_with(":units must be one of")
        );
        assert!(
            check(Kind::Dev, "{:msg")
                .unwrap_err()
                .starts_with("the argument is not EDN")
        );
    }
}
