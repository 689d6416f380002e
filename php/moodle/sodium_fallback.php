<?php
// Moodle >= 4.3 encrypts secrets (\core\encryption) with libsodium's secretbox, and php-wasm is
// built without the sodium extension. For a throwaway CI site we provide the three secretbox
// functions on top of OpenSSL's AES-256-GCM (authenticated, like secretbox). Ciphertexts are NOT
// interchangeable with real libsodium, which does not matter for a site that lives for one run;
// the report lists this as an adjustment. sodium_crypto_box/sign (airnotifier, WebAuthn, EdDSA
// JWT) are not provided: code using them fails as it would on a server without sodium.

if (!extension_loaded('sodium') && !function_exists('sodium_crypto_secretbox')
        && function_exists('openssl_encrypt')) {
    define('MPC_SODIUM_FALLBACK', true);
    define('SODIUM_CRYPTO_SECRETBOX_KEYBYTES', 32);
    define('SODIUM_CRYPTO_SECRETBOX_NONCEBYTES', 24);
    define('SODIUM_CRYPTO_SECRETBOX_MACBYTES', 16);

    if (!class_exists('SodiumException', false)) {
        class SodiumException extends Exception {
        }
    }

    function sodium_crypto_secretbox_keygen(): string {
        return random_bytes(SODIUM_CRYPTO_SECRETBOX_KEYBYTES);
    }

    /** GCM takes a 12-byte IV; the other 12 nonce bytes go into a per-message subkey. */
    function mpc_sodium_fallback_params(string $nonce, string $key): array {
        if (strlen($key) !== SODIUM_CRYPTO_SECRETBOX_KEYBYTES) {
            throw new SodiumException('key size should be SODIUM_CRYPTO_SECRETBOX_KEYBYTES bytes');
        }
        if (strlen($nonce) !== SODIUM_CRYPTO_SECRETBOX_NONCEBYTES) {
            throw new SodiumException('nonce size should be SODIUM_CRYPTO_SECRETBOX_NONCEBYTES bytes');
        }
        return [hash_hmac('sha256', substr($nonce, 12), $key, true), substr($nonce, 0, 12)];
    }

    function sodium_crypto_secretbox(string $message, string $nonce, string $key): string {
        [$subkey, $iv] = mpc_sodium_fallback_params($nonce, $key);
        $tag = '';
        $cipher = openssl_encrypt($message, 'aes-256-gcm', $subkey, OPENSSL_RAW_DATA, $iv, $tag, '', 16);
        if ($cipher === false) {
            throw new SodiumException('encryption failed: ' . (string) openssl_error_string());
        }
        // Same layout and length as secretbox: MAC first, then the ciphertext.
        return $tag . $cipher;
    }

    function sodium_crypto_secretbox_open(string $ciphertext, string $nonce, string $key): string|false {
        [$subkey, $iv] = mpc_sodium_fallback_params($nonce, $key);
        if (strlen($ciphertext) < SODIUM_CRYPTO_SECRETBOX_MACBYTES) {
            return false;
        }
        $tag = substr($ciphertext, 0, SODIUM_CRYPTO_SECRETBOX_MACBYTES);
        $plain = openssl_decrypt(substr($ciphertext, SODIUM_CRYPTO_SECRETBOX_MACBYTES), 'aes-256-gcm',
            $subkey, OPENSSL_RAW_DATA, $iv, $tag);
        return $plain === false ? false : $plain;
    }
}
