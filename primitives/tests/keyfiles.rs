//! Password-protected key files: round trip, wrong password, tampering, hostile parameters.

use blocktree_primitives::crypto::{
	open_key_file, seal_key_file, KdfParams, KeyFileError, KeyScheme, PrincipalKeys,
};

const KDF: KdfParams = KdfParams::INSECURE_FOR_TESTS;

#[test]
fn a_key_file_opens_with_its_password_to_the_same_principal() {
	for scheme in [KeyScheme::Sr25519, KeyScheme::Ed25519] {
		let keys = PrincipalKeys::from_seed(scheme, [3; 32]);
		let file = seal_key_file(&keys, b"correct horse", KDF).unwrap();
		let opened = open_key_file(&file, b"correct horse").unwrap();
		assert_eq!(opened.principal(), keys.principal());
		assert_eq!(opened.id(), keys.id());
		assert_eq!(opened.seed(), keys.seed());
		assert!(!file.windows(32).any(|w| w == keys.seed()), "the seed is not in the clear");
	}
}

#[test]
fn the_id_of_rotated_keys_survives_the_file() {
	let original = PrincipalKeys::from_seed(KeyScheme::Sr25519, [1; 32]);
	let rotated = PrincipalKeys::from_seed(KeyScheme::Sr25519, [2; 32]).for_principal(original.id());
	let opened = open_key_file(&seal_key_file(&rotated, b"pw", KDF).unwrap(), b"pw").unwrap();
	assert_eq!(opened.id(), original.id());
	assert_eq!(opened.principal(), rotated.principal());
}

#[test]
fn a_wrong_password_fails_cleanly() {
	let keys = PrincipalKeys::from_seed(KeyScheme::Sr25519, [3; 32]);
	let file = seal_key_file(&keys, b"right", KDF).unwrap();
	assert_eq!(open_key_file(&file, b"wrong").map(|_| ()), Err(KeyFileError::WrongPasswordOrCorrupted));
	assert_eq!(open_key_file(&file, b"").map(|_| ()), Err(KeyFileError::WrongPasswordOrCorrupted));
}

#[test]
fn altering_any_byte_is_detected() {
	let keys = PrincipalKeys::from_seed(KeyScheme::Sr25519, [3; 32]);
	let file = seal_key_file(&keys, b"pw", KDF).unwrap();
	for i in 0..file.len() {
		let mut bad = file.clone();
		bad[i] ^= 0x01;
		assert!(open_key_file(&bad, b"pw").is_err(), "flipping byte {i} went unnoticed");
	}
	assert_eq!(open_key_file(&file[..file.len() - 1], b"pw").map(|_| ()), Err(KeyFileError::NotAKeyFile));
	assert_eq!(open_key_file(b"hello", b"pw").map(|_| ()), Err(KeyFileError::NotAKeyFile));
}

#[test]
fn hostile_parameters_are_refused_before_any_work() {
	let keys = PrincipalKeys::from_seed(KeyScheme::Sr25519, [3; 32]);
	let huge = KdfParams { memory_kib: u32::MAX, iterations: 1, parallelism: 1 };
	assert_eq!(seal_key_file(&keys, b"pw", huge).map(|_| ()), Err(KeyFileError::UnacceptableParameters));
	let zero = KdfParams { memory_kib: 64, iterations: 0, parallelism: 1 };
	assert_eq!(seal_key_file(&keys, b"pw", zero).map(|_| ()), Err(KeyFileError::UnacceptableParameters));
	let endless = KdfParams { memory_kib: 64, iterations: 1 << 24, parallelism: 1 };
	assert_eq!(seal_key_file(&keys, b"pw", endless).map(|_| ()), Err(KeyFileError::UnacceptableParameters));
}
