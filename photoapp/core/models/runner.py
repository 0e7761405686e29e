"""One ONNX Runtime session per model folder: providers chosen explicitly, created lazily once.

Provider choice follows ``settings.compute``:
  cpu  -> CPU only.
  gpu  -> the available accelerator providers (CUDA, ROCm, CoreML, DirectML), CPU as fallback for
          operators they lack. If none is available we log a warning and run on CPU, so a
          settings file moved to another machine still works.
  auto -> the same as gpu when an accelerator provider is available, else CPU, without warning.
"""
from __future__ import annotations

import logging
import threading

import numpy as np

from ..errors import ModelError
from .manifest import ModelManifest, file_sha256

log = logging.getLogger(__name__)

ACCELERATORS = ("CUDAExecutionProvider", "ROCMExecutionProvider", "CoreMLExecutionProvider",
                "DmlExecutionProvider")
CPU = "CPUExecutionProvider"
COMPUTE_MODES = ("auto", "cpu", "gpu")


def choose_providers(compute: str, available: list[str] | None = None) -> list[str]:
    if compute not in COMPUTE_MODES:
        raise ModelError(f"compute must be one of {COMPUTE_MODES}, not {compute!r}")
    if available is None:
        import onnxruntime as ort
        available = ort.get_available_providers()
    if compute == "cpu":
        return [CPU]
    accel = [p for p in ACCELERATORS if p in available]
    if compute == "gpu" and not accel:
        log.warning("compute=gpu but ONNX Runtime offers no GPU provider (available: %s); "
                    "running on CPU", ", ".join(available))
    return accel + [CPU]


class OnnxModel:
    """Runs one model folder's ONNX file. ``run`` is thread-safe; the session is made on first use.

    ONNX Runtime's ``InferenceSession.run`` may be called from several threads at once; only
    creating the session needs the lock.
    """

    def __init__(self, manifest: ModelManifest, compute: str = "auto", threads: int = 0):
        self.manifest = manifest
        self.compute = compute
        self.threads = int(threads or 0)
        self._session = None
        self._lock = threading.Lock()
        self.providers: list[str] = []  # what the session actually uses, once created

    @property
    def session(self):
        if self._session is None:
            with self._lock:
                if self._session is None:
                    self._session = self._create_session()
        return self._session

    def load(self) -> "OnnxModel":
        """Create the session now (instead of at the first run)."""
        _ = self.session
        return self

    def _create_session(self):
        import onnxruntime as ort

        m = self.manifest
        if m.sha256 and file_sha256(m.model_path) != m.sha256:
            raise ModelError(f"{m.model_path}: sha256 differs from the manifest (corrupt or replaced)")
        opts = ort.SessionOptions()
        if self.threads > 0:
            opts.intra_op_num_threads = self.threads
            opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # The CPU arena keeps every block it ever grew to (batch sizes vary: a commit's last
        # batch is short), so indexing 200 photos peaked at 2 GB; without it, 0.9 GB at the
        # same speed (photoapp/bench/memory.py).
        opts.enable_cpu_mem_arena = False
        requested = choose_providers(self.compute)
        try:
            sess = ort.InferenceSession(str(m.model_path), sess_options=opts, providers=requested)
        except Exception as e:  # onnxruntime raises its own exception types for bad files
            raise ModelError(f"{m.model_path}: ONNX Runtime cannot load it ({e})") from e
        inputs = [i.name for i in sess.get_inputs()]
        outputs = {o.name for o in sess.get_outputs()}
        if inputs != [m.input_name]:
            raise ModelError(f"{m.model_path}: inputs are {inputs}, manifest says {m.input_name!r}")
        unknown = [n for n in m.outputs.values() if n not in outputs]
        if unknown:
            raise ModelError(f"{m.model_path}: no output named {unknown} (has {sorted(outputs)})")
        self.providers = sess.get_providers()
        dropped = [p for p in requested if p != CPU and p not in self.providers]
        if dropped:  # e.g. onnxruntime-gpu without the CUDA libraries: ORT falls back silently
            log.warning("model %s: %s could not start (missing GPU libraries or driver?); "
                        "running on CPU", m.name, ", ".join(dropped))
        log.info("model %s %s: providers %s (requested %s, compute=%s), intra-op threads %s",
                 m.name, m.version, self.providers, requested, self.compute,
                 self.threads or "auto")
        return sess

    def run(self, batch: np.ndarray) -> dict[str, np.ndarray]:
        """Run a batch; returns {role: array} for every output role in the manifest."""
        roles = list(self.manifest.outputs)
        names = [self.manifest.outputs[r] for r in roles]
        try:
            values = self.session.run(names, {self.manifest.input_name: batch})
        except ModelError:
            raise
        except Exception as e:
            raise ModelError(f"{self.manifest.name}: inference failed ({e})") from e
        return dict(zip(roles, values))
