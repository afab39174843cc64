//! Source secrets at rest: sealed with XChaCha20-Poly1305 under the installation's key.
//!
//! A sealed value is `1 ‖ nonce (24 bytes) ‖ ciphertext with its tag`; the leading version byte
//! leaves room for another scheme later. The key is 32 random bytes, written as base64 in
//! `METER_SECRET_KEY` or in a key file (the binary decides where it comes from).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};

const VERSION: u8 = 1;
const NONCE: usize = 24;

/// Why a key or a sealed value is unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    #[error("the secret key is not 32 bytes of base64 (generate one with `openssl rand -base64 32`)")]
    BadKey,
    #[error(
        "the stored source secrets cannot be decrypted with this key: set METER_SECRET_KEY (or the key file) to \
         the key they were saved with, or save the sources again with `meter sources set`"
    )]
    WrongKey,
}

/// The installation's key. Its `Debug` shows nothing of it.
#[derive(Clone)]
pub struct SecretKey(Key);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}

impl SecretKey {
    /// A new random key.
    pub fn generate() -> SecretKey {
        SecretKey(XChaCha20Poly1305::generate_key(&mut OsRng))
    }

    /// Reads a key written by [`SecretKey::encode`] (white space around it is ignored).
    pub fn parse(text: &str) -> Result<SecretKey, SecretError> {
        let bytes = STANDARD.decode(text.trim()).map_err(|_| SecretError::BadKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SecretError::BadKey)?;
        Ok(SecretKey(bytes.into()))
    }

    /// The key as base64, for a key file.
    pub fn encode(&self) -> String {
        STANDARD.encode(self.0.as_slice())
    }

    /// Seals `plain` with a fresh random nonce.
    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let cipher = XChaCha20Poly1305::new(&self.0);
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        // Encryption into a Vec fails only when the buffer cannot grow, which aborts anyway.
        let sealed = cipher.encrypt(&nonce, plain).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Opens a value sealed with this key; any other key, or a damaged value, is refused.
    pub fn open(&self, sealed: &[u8]) -> Result<Vec<u8>, SecretError> {
        match sealed {
            [VERSION, rest @ ..] if rest.len() > NONCE => {
                let (nonce, body) = rest.split_at(NONCE);
                XChaCha20Poly1305::new(&self.0)
                    .decrypt(XNonce::from_slice(nonce), body)
                    .map_err(|_| SecretError::WrongKey)
            }
            _ => Err(SecretError::WrongKey),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_with_their_key_only() {
        let key = SecretKey::generate();
        let sealed = key.seal(b"hunter2-password");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"), "the secret must not appear in clear");
        assert_eq!(key.open(&sealed).expect("open"), b"hunter2-password");
        assert_ne!(key.seal(b"hunter2-password"), sealed, "every seal has its own nonce");
        assert_eq!(SecretKey::generate().open(&sealed), Err(SecretError::WrongKey));
        let mut damaged = sealed.clone();
        let last = damaged.len() - 1;
        damaged[last] ^= 1;
        assert_eq!(key.open(&damaged), Err(SecretError::WrongKey));
        assert_eq!(key.open(&[]), Err(SecretError::WrongKey));
    }

    #[test]
    fn keys_round_trip_as_base64_and_bad_ones_are_refused() {
        let key = SecretKey::generate();
        let again = SecretKey::parse(&format!(" {}\n", key.encode())).expect("parse");
        assert_eq!(again.open(&key.seal(b"x")).expect("open"), b"x");
        assert_eq!(SecretKey::parse("c2hvcnQ=").map(|_| ()), Err(SecretError::BadKey));
        assert_eq!(SecretKey::parse("not base64!").map(|_| ()), Err(SecretError::BadKey));
        assert_eq!(format!("{key:?}"), "SecretKey(…)");
    }
}
