"""Named failures of the key layer; the edges turn them into answers."""


class KeyUnavailable(Exception):
    """A key needed to open something is not held."""


class DecryptionFailed(Exception):
    """Ciphertext, key or additional data do not match: tampered or misplaced."""


class SealedEnvelopeInvalid(Exception):
    """A sealed envelope is malformed or does not open."""
