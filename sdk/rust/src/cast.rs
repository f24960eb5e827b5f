//! Structured events, alerts, metrics and developer logs, as `datomic.ion.cast`.
//!
//! Each takes an EDN map: `{:msg "…" …}` for events, alerts and dev logs (other keys
//! namespaced), `{:name :my.app/x :value 1 :units :msec}` for metrics.

use crate::__private::{bindings::ion::host::cast, from_wit};
use crate::{Edn, Error};

/// Records an ordinary occurrence.
pub fn event(data: &Edn) -> Result<(), Error> {
    cast::event(&ion_edn::print(data)).map_err(from_wit)
}

/// Records an occurrence that needs a human; counted in the Alerts metric.
pub fn alert(data: &Edn) -> Result<(), Error> {
    cast::alert(&ion_edn::print(data)).map_err(from_wit)
}

/// Records a measurement.
pub fn metric(data: &Edn) -> Result<(), Error> {
    cast::metric(&ion_edn::print(data)).map_err(from_wit)
}

/// High-volume developer logging, kept only under `host dev`.
pub fn dev(data: &Edn) -> Result<(), Error> {
    cast::dev(&ion_edn::print(data)).map_err(from_wit)
}

/// An event with just a message: `(cast/event {:msg msg})`.
pub fn event_msg(msg: &str) -> Result<(), Error> {
    let map = [(ion_edn::keyword("msg"), ion_edn::string(msg))]
        .into_iter()
        .collect();
    event(&Edn::Map(map))
}
