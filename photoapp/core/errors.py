"""Typed exceptions raised by the core. Only front ends print and exit."""


class PhotoAppError(Exception):
    """Base class for every error the core raises on purpose."""


class ConfigError(PhotoAppError):
    """Settings are missing or contradictory."""


class ModelError(PhotoAppError):
    """A model folder is missing, malformed, or fails to load."""


class DecodeError(PhotoAppError):
    """A file could not be turned into an RGB image.

    ``reason`` is one of: truncated, not-an-image, too-large, unreadable, unsupported.
    """

    def __init__(self, path: str, reason: str, detail: str = ""):
        self.path = path
        self.reason = reason
        self.detail = detail
        super().__init__(f"{path}: {reason}" + (f" ({detail})" if detail else ""))


class QueryError(PhotoAppError):
    """A search query could not be parsed."""


class BackendError(PhotoAppError):
    """The index backend failed."""


class BackendUnavailable(BackendError):
    """The backend cannot be reached right now (changes should be queued, not lost)."""


class BackendAuthError(BackendError):
    """The backend rejected our credentials."""


class BackendTLSError(BackendError):
    """TLS handshake or certificate verification failed."""


class BackendVersionError(BackendError):
    """The server speaks an unsupported version."""


class MappingConflictError(BackendError):
    """An index of the same name exists with an incompatible mapping."""


class LibraryError(PhotoAppError):
    """A folder, path or document id the library cannot use (not a folder, not in the library)."""


class StorageError(PhotoAppError):
    """Writing the library's data folder failed: full disk, read-only disk, no permission.
    The message names the folder, why, and what to do (sqlite_files.storage_problem)."""
