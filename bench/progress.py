"""A tiny progress bar on stderr: enough to see generation move, no dependency."""

import sys
import time


class Bar:
    def __init__(self, label, total, stream=sys.stderr, width=30):
        self.label, self.total, self.stream, self.width = label, max(total, 1), stream, width
        self.done = 0
        self.started = time.perf_counter()
        self._drawn_at = 0.0
        self._tty = stream.isatty()

    def advance(self, n=1):
        self.done += n
        now = time.perf_counter()
        # Redraw at most ten times a second: drawing must not cost more than inserting.
        if self._tty and now - self._drawn_at > 0.1:
            self._drawn_at = now
            self._draw(end="\r")

    def close(self):
        self.total = max(self.total, self.done)  # estimates may run short
        self._draw(end="\n")

    def _draw(self, end):
        fraction = min(self.done / self.total, 1.0)
        filled = int(fraction * self.width)
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0
        self.stream.write(
            f"  {self.label:<22} [{'#' * filled}{'.' * (self.width - filled)}] "
            f"{self.done:>9,}/{self.total:,} {rate:>9,.0f}/s {elapsed:5.1f}s{end}"
        )
        self.stream.flush()
