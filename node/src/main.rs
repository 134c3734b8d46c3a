//! `blocktree-node`: the Blocktree full node and validator.
//!
//! Modules: [`cli`] (command line), [`command`] (what each subcommand does), [`chain_spec`]
//! (the `dev` and `local` chains), [`service`] (wiring consensus, network, RPC and the
//! off-chain workers), [`rpc`] (the JSON-RPC methods beyond the standard ones) and [`storage`]
//! (the storage worker: fragment store, exchange, duties, `blocktree_*` RPC). Client-side
//! commands (keys, caps, files, contracts) are the `blocktree` CLI of the `client/` crate.

mod chain_spec;
mod cli;
mod command;
mod rpc;
mod service;
mod storage;

fn main() -> sc_cli::Result<()> {
	command::run()
}
