//! The typed exports of one instance, looked up once per instance instead of once per
//! call. Looking an export up (`*Indices::load`) clones the instance's `InstancePre` and
//! type-checks every function of the interface; a kept instance (`:instance-reuse`, or a
//! query's session) would otherwise repeat that on each of its calls.
//!
//! Owns only the cache. The cache lives in the call's `Live`, which never outlives or
//! changes its instance, so a cached export always belongs to the instance it is used on.

use super::bindings::{lambda, query_fn, query_fn_batch, tx_fn, web, xform};
use super::call::Live;
use wasmtime::component::Instance;

/// The exports already looked up in one instance.
#[derive(Default)]
pub(crate) struct Guests {
    lambda: Option<lambda::Guest>,
    web: Option<web::Guest>,
    query_fn: Option<query_fn::Guest>,
    query_fn_batch: Option<query_fn_batch::Guest>,
    tx_fn: Option<tx_fn::Guest>,
    xform: Option<xform::Guest>,
}

/// An interface's export indices (from bindgen), and where its looked-up exports are kept.
pub(crate) trait Exports {
    type Guest: Clone;
    fn slot(guests: &mut Guests) -> &mut Option<Self::Guest>;
    fn load_in(&self, live: &mut Live, instance: &Instance) -> wasmtime::Result<Self::Guest>;
}

macro_rules! exports {
    ($($module:ident),*) => {$(
        impl Exports for $module::GuestIndices {
            type Guest = $module::Guest;
            fn slot(guests: &mut Guests) -> &mut Option<$module::Guest> {
                &mut guests.$module
            }
            fn load_in(
                &self,
                live: &mut Live,
                instance: &Instance,
            ) -> wasmtime::Result<$module::Guest> {
                self.load(&mut live.store, instance)
            }
        }
    )*};
}

exports!(lambda, web, query_fn, query_fn_batch, tx_fn, xform);

impl Live {
    /// The exports of `indices`' interface in `instance` (this call's), looked up on
    /// the instance's first call and kept for its later ones.
    pub(crate) fn guest<I: Exports>(
        &mut self,
        indices: &I,
        instance: &Instance,
    ) -> wasmtime::Result<I::Guest> {
        if let Some(guest) = I::slot(&mut self.guests) {
            return Ok(guest.clone());
        }
        let guest = indices.load_in(self, instance)?;
        *I::slot(&mut self.guests) = Some(guest.clone());
        Ok(guest)
    }
}
