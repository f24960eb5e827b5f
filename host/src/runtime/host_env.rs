//! Host side of `ion:host/env`: the environment map, app info and parameters of the app.

use super::bindings::env::{Host, Param};
use super::bindings::types::{Category, IonError};
use super::state::IonState;

impl Host for IonState {
    async fn get_env(&mut self) -> wasmtime::Result<String> {
        Ok(self.app.env_map.to_edn())
    }

    async fn get_app_info(&mut self) -> wasmtime::Result<String> {
        Ok(self.app.app_info.to_edn())
    }

    async fn get_params(&mut self, path: String) -> wasmtime::Result<Result<Vec<Param>, IonError>> {
        // Parameter providers (local store, AWS SSM) are configured per node; until one is,
        // the ion learns that clearly instead of seeing an empty map.
        Ok(Err(IonError {
            category: Category::Unavailable,
            message: format!("get-params {path:?}: this node has no parameter provider configured"),
            data: None,
        }))
    }
}

impl super::bindings::types::Host for IonState {}
