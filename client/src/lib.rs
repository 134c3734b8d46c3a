//! Blocktree's client library, used by the `blocktree` CLI, the node's storage worker (for
//! signing) and the FUSE mount. It talks to a node over JSON-RPC only and depends on no `sc-*`
//! node crate, so it builds in minutes.
//!
//! Modules: [`chain`] (a signing JSON-RPC client: transactions, runtime API calls, events),
//! [`principal_cmd`] (a principal's keys on the client: key files, backups, write caps),
//! [`principal_chain`] (a principal's transactions and queries), [`file_cmd`] (files sealed
//! here and stored through a node's `blocktree_*` RPC) with [`file_format`] (files as blocks:
//! one block, or parts and a manifest), [`sectors`] (random access: a block's
//! sectors read and checked one by one), [`storage_cmd`] (storage offers and contracts),
//! [`dir_format`] (directories as blocks), [`tree`] (files and directories over any block
//! store, shared with the FUSE mount), [`tree_rpc`] (that store on a node's RPC), [`tree_cmd`]
//! (`ls`, `mkdir`, `rm`, `mv`, `mount`) and [`cli`] (the `blocktree` command line).

pub mod chain;
pub mod cli;
pub mod dir_format;
pub mod file_cmd;
pub mod file_format;
pub mod principal_chain;
pub mod principal_cmd;
pub mod sectors;
pub mod storage_cmd;
pub mod tree;
pub mod tree_cmd;
pub mod tree_rpc;
