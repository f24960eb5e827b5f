//! Each ion's metric handles, as an app keeps them: looked up on every call without a lock
//! or a clone. Owns only the lookup; what the handles record is `crate::metrics`' business.
//!
//! A series appears in `/metrics` on its ion's first call, not before: the handles of every
//! ion the component exports sit in cells made when the app loads, empty until then.

use super::call_kind::CallKind;
use crate::metrics::{IonLabels, IonMetrics, metrics};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// The metric handles of one app's ions, by kind and then ion name.
#[derive(Default)]
pub(crate) struct MetricHandles {
    app: String,
    /// A cell for every kind and exported ion, filled on its first call.
    known: HashMap<CallKind, HashMap<String, OnceLock<IonMetrics>>>,
    /// Handles of names outside `known`, made under a lock: calls of an ion the component
    /// does not export (an `:allow`ed or queried name it lacks), which fail but are counted.
    other: Mutex<HashMap<(CallKind, String), IonMetrics>>,
}

impl MetricHandles {
    /// Cells for `ions` of app `app`, under every kind.
    pub fn new<'a>(app: &str, ions: impl Iterator<Item = &'a str> + Clone) -> MetricHandles {
        let known = CallKind::ALL
            .into_iter()
            .map(|kind| {
                let cells = ions.clone().map(|i| (i.to_owned(), OnceLock::new()));
                (kind, cells.collect())
            })
            .collect();
        MetricHandles {
            app: app.to_owned(),
            known,
            other: Mutex::default(),
        }
    }

    /// The handles of ion `ion` called as `kind`, made on its first call.
    pub fn get(&self, ion: &str, kind: CallKind) -> Cow<'_, IonMetrics> {
        let make = || {
            metrics().ion(IonLabels {
                app: self.app.clone(),
                ion: ion.to_owned(),
                kind: kind.label().to_owned(),
            })
        };
        if let Some(cell) = self.known.get(&kind).and_then(|by_ion| by_ion.get(ion)) {
            return Cow::Borrowed(cell.get_or_init(make));
        }
        let mut other = self.other.lock().unwrap_or_else(|e| e.into_inner());
        let key = (kind, ion.to_owned());
        Cow::Owned(other.entry(key).or_insert_with(make).clone())
    }
}
