//! The one `bindgen!` call over `wit/`: host-side types and traits for the `ion-app`
//! world. Everything else in the runtime uses the generated names through this module.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "ion:host/ion-app",
    imports: { default: async | trappable },
    exports: { default: async },
    with: {
        "ion:host/db.database": crate::runtime::host_db::DatabaseHandle,
        "ion:host/db.connection": crate::runtime::host_db::ConnectionHandle,
    },
});

pub use exports::ion::host::{
    describe, lambda, lifecycle, query_fn, query_fn_batch, tx_fn, web, xform,
};
pub use ion::host::{cast, db, env, types};
