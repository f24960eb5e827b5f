//! Splitting a component at its own structure: each core module nested in it, at any
//! depth, is one piece, and the bytes between modules (component headers, types,
//! imports, aliases, canonical functions, nested component headers) are the pieces in
//! between. Concatenating the pieces gives back the component byte for byte. Knows
//! nothing of storing.

use anyhow::{Result, anyhow};
use std::ops::Range;
use wasmparser::{Parser, Payload};

/// One piece of a split component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// What it is, stable across revisions of the same app: `module 0`, `glue 1`, …
    pub role: String,
    /// Its bytes within the component.
    pub range: Range<usize>,
}

/// What the store needs to know of a component.
#[derive(Debug, Clone)]
pub struct Inspected {
    /// Its pieces, in order, covering every byte.
    pub pieces: Vec<Piece>,
    /// The names the component imports at its top level (`wasi:cli/environment@0.2.3`, …).
    pub imports: Vec<String>,
}

/// Splits `bytes` (a component, or a core module, which is one piece).
pub fn inspect(bytes: &[u8]) -> Result<Inspected> {
    let mut modules: Vec<Range<usize>> = Vec::new();
    let mut imports = Vec::new();
    let mut depth = 0usize;
    let mut is_component = false;
    for payload in Parser::new(0).parse_all(bytes) {
        let payload = payload.map_err(|e| anyhow!("not a valid wasm component: {e}"))?;
        match payload {
            Payload::Version { encoding, .. } if depth == 0 => {
                is_component = matches!(encoding, wasmparser::Encoding::Component);
            }
            Payload::ModuleSection {
                unchecked_range, ..
            } => {
                modules.push(unchecked_range);
                depth += 1;
            }
            Payload::ComponentSection { .. } => depth += 1,
            Payload::ComponentImportSection(reader) if depth == 0 => {
                for import in reader {
                    let import =
                        import.map_err(|e| anyhow!("reading the component's imports: {e}"))?;
                    imports.push(import.name.name.to_owned());
                }
            }
            Payload::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if !is_component {
        return Ok(Inspected {
            pieces: vec![Piece {
                role: "module 0".into(),
                range: 0..bytes.len(),
            }],
            imports,
        });
    }
    let mut pieces = Vec::new();
    let mut at = 0;
    let mut glue = 0;
    for (i, m) in modules.iter().enumerate() {
        if m.start < at || m.end > bytes.len() {
            return Err(anyhow!(
                "nested module {i} at {m:?} overlaps what came before"
            ));
        }
        if m.start > at {
            pieces.push(Piece {
                role: format!("glue {glue}"),
                range: at..m.start,
            });
            glue += 1;
        }
        pieces.push(Piece {
            role: format!("module {i}"),
            range: m.clone(),
        });
        at = m.end;
    }
    if at < bytes.len() {
        pieces.push(Piece {
            role: format!("glue {glue}"),
            range: at..bytes.len(),
        });
    }
    Ok(Inspected { pieces, imports })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_refused_and_a_core_module_is_one_piece() {
        assert!(inspect(b"not wasm at all").is_err());
        let module = b"\0asm\x01\0\0\0";
        let got = inspect(module).unwrap();
        assert_eq!(
            got.pieces,
            vec![Piece {
                role: "module 0".into(),
                range: 0..8
            }]
        );
    }
}
