"""One settings object, passed down from the front end. Nothing deep in the core reads globals."""
from __future__ import annotations

import json
import os
import sys
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import platformdirs

APP_NAME = "photoapp"
DATA_DIR_ENV = "PHOTOAPP_DATA_DIR"
MODELS_DIR_ENV = "PHOTOAPP_MODELS_DIR"


def default_data_dir() -> Path:
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def bundled_path(name: str) -> Path:
    """A folder shipped beside the package: ``models`` or ``resources``.

    In a source checkout (what ``make run`` uses) it sits at the repo root; a wheel installs it
    to ``<prefix>/share/photoapp/``.
    """
    in_checkout = Path(__file__).resolve().parents[2] / name
    if in_checkout.exists():
        return in_checkout
    installed = Path(sys.prefix) / "share" / APP_NAME / name
    return installed if installed.exists() else in_checkout


def default_models_dir() -> Path:
    env = os.environ.get(MODELS_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return bundled_path("models")


@dataclass
class ElasticsearchSettings:
    urls: list[str] = field(default_factory=list)
    cloud_id: str | None = None
    username: str | None = None
    # Secrets are never stored here: they come from the OS keyring or the environment.
    ca_cert: str | None = None
    verify_tls: bool = True
    index_prefix: str = "photoapp"


@dataclass
class Settings:
    data_dir: Path = field(default_factory=default_data_dir)
    models_dir: Path = field(default_factory=default_models_dir)
    backend: str = "embedded"  # "embedded" or an Elasticsearch URL
    elasticsearch: ElasticsearchSettings = field(default_factory=ElasticsearchSettings)
    compute: str = "auto"  # auto | cpu | gpu
    threads: int = 0  # 0 = let ONNX Runtime choose
    decode_workers: int = 0  # 0 = cpu count
    batch_size: int = 16
    cluster_count: int = 0  # 0 = choose automatically
    # Minimum picture similarity (photoapp.core.perceptual) for two photos to be near-duplicates.
    duplicate_threshold: float = 0.85
    thumbnail_size: int = 256
    # Memory (core/pixel_budget.py): megapixels being decoded at once, and the largest photo
    # accepted; a larger one is recorded as too-large with its size.
    decode_budget_megapixels: int = 160
    max_megapixels: int = 250
    # Analyzers switched on or off by name (photoapp.core.analyzers), e.g. {"objects": false};
    # absent = on. Turning one off purges what it stored at the next index or watch.
    analyzers: dict[str, bool] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.data_dir / "settings.json"

    def ensure_dirs(self) -> None:
        from .privacy import make_private_dir  # owner-only data folder and files (privacy.py)

        make_private_dir(self.data_dir)

    # Persisted settings: everything but the paths that were resolved at start-up.
    def save(self) -> None:
        self.ensure_dirs()
        data = asdict(self)
        data.pop("data_dir")
        data.pop("models_dir")
        tmp = self.config_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.config_path)

    @classmethod
    def load(cls, data_dir: Path | None = None, **overrides) -> "Settings":
        s = cls(data_dir=Path(data_dir) if data_dir else default_data_dir())
        if s.config_path.exists():
            try:
                data = json.loads(s.config_path.read_text())
            except (OSError, ValueError):
                data = {}
            known = {f.name for f in fields(cls)}
            for k, v in data.items():
                if k == "elasticsearch" and isinstance(v, dict):
                    es_known = {f.name for f in fields(ElasticsearchSettings)}
                    s.elasticsearch = ElasticsearchSettings(**{a: b for a, b in v.items() if a in es_known})
                elif k in known and k not in ("data_dir", "models_dir"):
                    setattr(s, k, v)
        for k, v in overrides.items():
            if v is not None:
                setattr(s, k, v)
        return s
