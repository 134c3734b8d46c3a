//! `blocktree-node`: the Blocktree full node and validator.
//!
//! Modules: [`cli`] (command line), [`command`] (what each subcommand does), [`chain_spec`]
//! (the `dev` and `local` chains), [`service`] (wiring consensus, network, RPC and the
//! off-chain workers), [`rpc`] (the JSON-RPC methods beyond the standard ones) and
//! [`principal_cmd`] (client-side principal keys and write caps), [`principal_chain`] (the
//! principal's transactions and queries) over [`chain_client`] (a signing JSON-RPC client),
//! [`file_cmd`] (store and fetch files through a node), and [`storage`] (the storage worker: fragment store, exchange, duties, `blocktree_*` RPC).

mod chain_client;
mod chain_spec;
mod cli;
mod command;
mod file_cmd;
mod principal_chain;
mod principal_cmd;
mod rpc;
mod service;
mod storage;

fn main() -> sc_cli::Result<()> {
	command::run()
}
