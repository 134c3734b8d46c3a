//! Embeds the git commit and build date in the node's version string
//! (`SUBSTRATE_CLI_IMPL_VERSION`) and rebuilds when the checked-out commit changes.

use substrate_build_script_utils::{generate_cargo_keys, rerun_if_git_head_changed};

fn main() {
	generate_cargo_keys();
	rerun_if_git_head_changed();
}
