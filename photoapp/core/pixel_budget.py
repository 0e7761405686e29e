"""Memory bounded by design: the decode threads share a budget of in-flight pixels.

A decoded picture costs memory in proportion to its pixels, not to the number of files: one
12000x12000 PNG holds 432 MB of RGB, as much as a thousand phone thumbnails. So the decode stage
reserves each picture's pixels (at the size it is actually decoded, after JPEG draft scaling)
before decoding, and gives them back once the picture is reduced to the size the models and the
thumbnail need. A picture larger than the whole budget waits until nothing else is being decoded
and then goes alone; one larger than ``max_pixels`` is not decoded at all (``too-large``).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from PIL import Image

# Defaults (settings: decode_budget_megapixels, max_megapixels). The budget fits one 12000x12000
# picture (144 MP) with room for ordinary photos beside it; the maximum is Pillow's own
# decompression-bomb limit raised to cover 16000x15000 panoramas.
DEFAULT_BUDGET_MEGAPIXELS = 160
DEFAULT_MAX_MEGAPIXELS = 250


class PixelBudget:
    """A counting semaphore over pixels, shared by the decode threads of one library."""

    def __init__(self, megapixels: float = DEFAULT_BUDGET_MEGAPIXELS):
        self.capacity = max(1, int(megapixels * 1_000_000))
        self._in_flight = 0
        self.peak = 0  # the most pixels ever reserved at once (benchmarks and tests read it)
        self._cond = threading.Condition()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @contextmanager
    def reserve(self, pixels: int) -> Iterator[None]:
        pixels = max(0, int(pixels))
        with self._cond:
            # Over-budget pictures are not refused: they wait for an empty budget and go alone.
            self._cond.wait_for(lambda: self._in_flight == 0
                                or self._in_flight + pixels <= self.capacity)
            self._in_flight += pixels
            self.peak = max(self.peak, self._in_flight)
        try:
            yield
        finally:
            with self._cond:
                self._in_flight -= pixels
                self._cond.notify_all()


@dataclass
class DecodeLimits:
    """What the decode stage may spend: the shared budget and the largest picture it accepts."""

    budget: PixelBudget = field(default_factory=PixelBudget)
    max_pixels: int = DEFAULT_MAX_MEGAPIXELS * 1_000_000

    @classmethod
    def from_settings(cls, settings) -> "DecodeLimits":
        budget_mp = getattr(settings, "decode_budget_megapixels", DEFAULT_BUDGET_MEGAPIXELS)
        max_mp = getattr(settings, "max_megapixels", DEFAULT_MAX_MEGAPIXELS)
        limits = cls(PixelBudget(budget_mp or DEFAULT_BUDGET_MEGAPIXELS),
                     int((max_mp or DEFAULT_MAX_MEGAPIXELS) * 1_000_000))
        limits.apply_to_pillow()
        return limits

    def apply_to_pillow(self) -> None:
        # Pillow refuses (at twice) and warns (at once) its own MAX_IMAGE_PIXELS when opening a
        # file; keep that guard in step with ours so the user's setting is the one that counts.
        Image.MAX_IMAGE_PIXELS = max(Image.MAX_IMAGE_PIXELS or 0, self.max_pixels)


