//! The pallets whose benchmarks the runtime exposes (feature `runtime-benchmarks`), for a
//! benchmarking CLI (`frame-omni-bencher` or the node's `benchmark pallet`) to produce each
//! pallet's `weights.rs`.

use crate::Runtime;

impl frame_system_benchmarking::Config for Runtime {}
impl frame_benchmarking::baseline::Config for Runtime {}

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_principals, Principals]
	[pallet_endpoints, Endpoints]
	[pallet_storage_contracts, StorageContracts]
	[pallet_fragments, Fragments]
);
