//! Getting an app from a developer's folder to the nodes: `push` (build, check, split and
//! upload a revision to the store) and its checks (`git` for reproducibility, `conflicts`
//! for the interfaces a component imports). Talks to revisions only through `store`.

pub mod conflicts;
pub mod git;
pub mod push;
