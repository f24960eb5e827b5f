//! Dependency conflicts: the interfaces a component imports that this host does not
//! provide, found at push time with the node's own linker (its semver matching
//! included), never as a failed load at deploy time. The host's side wins: a conflict
//! says which version the host has, so the app can be built and tested against it.

use crate::runtime::Runtime;
use wasm_encoder::{ComponentImportSection, ComponentTypeRef, ComponentTypeSection, InstanceType};
use wasmtime::component::Component;

/// The interface packages the host provides, and their versions.
pub const HOST_PACKAGES: &[(&str, &str)] = &[("wasi:", "0.2.12"), ("ion:host/", "0.1.0")];

/// One import the host cannot satisfy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The import as the component names it (`wasi:http/types@0.3.0`).
    pub import: String,
    /// The interface without its version (`wasi:http/types`).
    pub interface: String,
    /// The version the component wants, if it names one.
    pub wanted: Option<String>,
    /// The same interface as the host provides it, if it does.
    pub host: Option<String>,
}

/// The imports in `imports` that `runtime`'s linker cannot satisfy.
pub fn check(runtime: &Runtime, imports: &[String]) -> Vec<Conflict> {
    let mut out = Vec::new();
    for import in imports {
        if provides(runtime, import) {
            continue;
        }
        let (interface, wanted) = match import.rsplit_once('@') {
            Some((i, v)) => (i.to_owned(), Some(v.to_owned())),
            None => (import.clone(), None),
        };
        let host = HOST_PACKAGES
            .iter()
            .filter(|(prefix, _)| interface.starts_with(prefix))
            .map(|(_, version)| format!("{interface}@{version}"))
            .find(|candidate| provides(runtime, candidate));
        out.push(Conflict {
            import: import.clone(),
            interface,
            wanted,
            host,
        });
    }
    out
}

/// Whether the linker has an instance that an import named `name` would link to: tried
/// with a component that imports just that name.
pub fn provides(runtime: &Runtime, name: &str) -> bool {
    let mut types = ComponentTypeSection::new();
    types.instance(&InstanceType::new());
    let mut imports = ComponentImportSection::new();
    imports.import(name, ComponentTypeRef::Instance(0));
    let mut probe = wasm_encoder::Component::new();
    probe.section(&types);
    probe.section(&imports);
    let Ok(component) = Component::new(&runtime.inner.engine, probe.finish()) else {
        return false;
    };
    runtime.inner.linker.instantiate_pre(&component).is_ok()
}
