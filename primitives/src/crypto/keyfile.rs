//! Password-protected key files and backups: a principal's seed encrypted with a key derived
//! from a password by Argon2id, sealed with XChaCha20-Poly1305.
//!
//! Layout (SCALE): magic `blocktree-keyfile`, version, then [`KeyFileBody`]. Everything but
//! the ciphertext is authenticated as associated data, so altering the parameters, the id or
//! the salt makes the file fail to open just like a wrong password does.

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::{
	aead::{Aead, KeyInit, Payload},
	XChaCha20Poly1305, XNonce,
};
use codec::{Decode, Encode};
use zeroize::Zeroizing;

use super::{KeyScheme, PrincipalKeys};
use crate::principal::PrincipalId;

const MAGIC: &[u8; 17] = b"blocktree-keyfile";
const VERSION: u8 = 1;
/// Argon2 costs above these are refused when opening a file, so a hostile file cannot make a
/// client allocate or compute without bound: 1 GiB, 16 passes, 16 lanes.
const MAX_MEMORY_KIB: u32 = 1 << 20;
const MAX_ITERATIONS: u32 = 16;
const MAX_PARALLELISM: u32 = 16;

/// Argon2id cost parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Encode, Decode)]
pub struct KdfParams {
	/// Memory in KiB.
	pub memory_kib: u32,
	/// Passes over the memory.
	pub iterations: u32,
	/// Lanes.
	pub parallelism: u32,
}

impl KdfParams {
	/// For the everyday key file: 64 MiB, 3 passes (about a quarter second here).
	pub const INTERACTIVE: KdfParams = KdfParams { memory_kib: 64 * 1024, iterations: 3, parallelism: 1 };
	/// For backups that leave the machine: 256 MiB, 4 passes.
	pub const BACKUP: KdfParams = KdfParams { memory_kib: 256 * 1024, iterations: 4, parallelism: 1 };
	/// Cheap parameters for tests only.
	pub const INSECURE_FOR_TESTS: KdfParams = KdfParams { memory_kib: 64, iterations: 1, parallelism: 1 };
}

#[derive(Encode, Decode)]
struct KeyFileBody {
	scheme: u8,
	principal: PrincipalId,
	kdf: KdfParams,
	salt: [u8; 16],
	nonce: [u8; 24],
	ciphertext: Vec<u8>,
}

impl KeyFileBody {
	fn associated_data(&self) -> Vec<u8> {
		(MAGIC, VERSION, self.scheme, self.principal, self.kdf, self.salt, self.nonce).encode()
	}
}

/// Why a key file did not open.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyFileError {
	/// The bytes are not a Blocktree key file.
	NotAKeyFile,
	/// Written by a newer version of Blocktree: upgrade to open it.
	UnsupportedVersion(u8),
	/// Wrong password, or the file was altered.
	WrongPasswordOrCorrupted,
	/// The file asks for Argon2 parameters this client refuses (over 1 GiB, 16 passes or 16
	/// lanes, or zero).
	UnacceptableParameters,
}

impl core::fmt::Display for KeyFileError {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		match self {
			KeyFileError::NotAKeyFile => write!(f, "not a Blocktree key file"),
			KeyFileError::UnsupportedVersion(v) =>
				write!(f, "key file version {v} is newer than this client: upgrade Blocktree"),
			KeyFileError::WrongPasswordOrCorrupted =>
				write!(f, "wrong password, or the key file was altered"),
			KeyFileError::UnacceptableParameters =>
				write!(f, "the key file asks for unacceptable Argon2 parameters"),
		}
	}
}

impl std::error::Error for KeyFileError {}

fn derive_key(password: &[u8], salt: &[u8; 16], kdf: KdfParams) -> Result<Zeroizing<[u8; 32]>, KeyFileError> {
	if kdf.memory_kib > MAX_MEMORY_KIB ||
		!(1..=MAX_ITERATIONS).contains(&kdf.iterations) ||
		!(1..=MAX_PARALLELISM).contains(&kdf.parallelism)
	{
		return Err(KeyFileError::UnacceptableParameters);
	}
	let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
		.map_err(|_| KeyFileError::UnacceptableParameters)?;
	let mut key = Zeroizing::new([0u8; 32]);
	Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
		.hash_password_into(password, salt, key.as_mut())
		.map_err(|_| KeyFileError::UnacceptableParameters)?;
	Ok(key)
}

fn scheme_byte(s: KeyScheme) -> u8 {
	match s {
		KeyScheme::Sr25519 => 0,
		KeyScheme::Ed25519 => 1,
	}
}

/// Encrypts `keys` under `password`.
pub fn seal_key_file(keys: &PrincipalKeys, password: &[u8], kdf: KdfParams) -> Result<Vec<u8>, KeyFileError> {
	let mut salt = [0u8; 16];
	let mut nonce = [0u8; 24];
	getrandom::getrandom(&mut salt).expect("the OS random source is available; qed");
	getrandom::getrandom(&mut nonce).expect("the OS random source is available; qed");
	let mut body = KeyFileBody {
		scheme: scheme_byte(keys.scheme()),
		principal: keys.id(),
		kdf,
		salt,
		nonce,
		ciphertext: Vec::new(),
	};
	let key = derive_key(password, &salt, kdf)?;
	let cipher = XChaCha20Poly1305::new(key.as_ref().into());
	let ad = body.associated_data();
	body.ciphertext = cipher
		.encrypt(&XNonce::from(nonce), Payload { msg: keys.seed(), aad: &ad })
		.expect("32 bytes encrypt; qed");
	let mut out = Vec::with_capacity(128);
	out.extend_from_slice(MAGIC);
	out.push(VERSION);
	body.encode_to(&mut out);
	Ok(out)
}

/// Decrypts a key file with `password`.
pub fn open_key_file(bytes: &[u8], password: &[u8]) -> Result<PrincipalKeys, KeyFileError> {
	let rest = bytes.strip_prefix(&MAGIC[..]).ok_or(KeyFileError::NotAKeyFile)?;
	let (&version, mut rest) = rest.split_first().ok_or(KeyFileError::NotAKeyFile)?;
	if version != VERSION {
		return Err(KeyFileError::UnsupportedVersion(version));
	}
	let body = KeyFileBody::decode(&mut rest).map_err(|_| KeyFileError::NotAKeyFile)?;
	if !rest.is_empty() || body.ciphertext.len() != 32 + 16 {
		return Err(KeyFileError::NotAKeyFile);
	}
	let scheme = match body.scheme {
		0 => KeyScheme::Sr25519,
		1 => KeyScheme::Ed25519,
		_ => return Err(KeyFileError::NotAKeyFile),
	};
	let key = derive_key(password, &body.salt, body.kdf)?;
	let cipher = XChaCha20Poly1305::new(key.as_ref().into());
	let ad = body.associated_data();
	let seed = Zeroizing::new(
		cipher
			.decrypt(&XNonce::from(body.nonce), Payload { msg: &body.ciphertext, aad: &ad })
			.map_err(|_| KeyFileError::WrongPasswordOrCorrupted)?,
	);
	let seed: [u8; 32] = seed.as_slice().try_into().map_err(|_| KeyFileError::NotAKeyFile)?;
	Ok(PrincipalKeys::from_seed(scheme, seed).for_principal(body.principal))
}
