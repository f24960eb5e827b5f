//! Getting an app from a developer's folder to the nodes: `push` (build, check, split and
//! upload a revision to the store) and its checks (`git` for reproducibility, `conflicts`
//! for the interfaces a component imports); compute groups and their nodes (`records`);
//! deploys (`orchestrate` drives one node at a time and rolls back, `execution` records
//! it, `node` is the node's side of a step; `console` is what the deploy console shows of
//! the store). Talks to revisions only through `store`,
//! to nodes only through their admin API.

pub mod conflicts;
pub mod console;
pub mod execution;
pub mod git;
pub mod node;
pub mod orchestrate;
pub mod peers;
pub mod push;
pub mod records;
