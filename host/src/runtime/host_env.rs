//! Host side of `ion:host/env`: the environment map, app info and parameters of the app.

use super::bindings::env::{Host, Param};
use super::bindings::types::{Category, IonError};
use super::state::IonState;
use crate::params::{check_path, relative_names};

impl Host for IonState {
    async fn get_env(&mut self) -> wasmtime::Result<String> {
        Ok(self.app.env_map.to_edn())
    }

    async fn get_app_info(&mut self) -> wasmtime::Result<String> {
        Ok(self.app.app_info.to_edn())
    }

    async fn get_params(&mut self, path: String) -> wasmtime::Result<Result<Vec<Param>, IonError>> {
        let Some(cache) = self.app.params.clone() else {
            return Ok(Err(unavailable(format!(
                "get-params {path:?}: this node has no parameter provider configured"
            ))));
        };
        if let Err(e) = check_path(&path) {
            return Ok(Err(IonError {
                category: Category::Incorrect,
                message: e.to_string(),
                data: None,
            }));
        }
        Ok(match cache.get(&path).await {
            Ok(params) => Ok(relative_names(&path, &params)
                .into_iter()
                .map(|(name, value)| Param { name, value })
                .collect()),
            Err(e) => Err(unavailable(e.to_string())),
        })
    }
}

impl super::bindings::types::Host for IonState {}

fn unavailable(message: String) -> IonError {
    IonError {
        category: Category::Unavailable,
        message,
        data: None,
    }
}
