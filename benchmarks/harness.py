#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Interleaved timing and the ratio table.

Every candidate of a comparison is a *batch* callable: ``batch(n)`` runs
the operation ``n`` times and returns the seconds it took. The rounds
interleave the candidates (A, B, C, then B, C, A...), so a noisy neighbour
or a CPU frequency change hits every candidate alike; each candidate's
cost per operation is the minimum (CPU-bound) or the median (I/O-bound) of
its rounds, and only ratios taken within one run are reported.
"""

from collections.abc import Callable
import dataclasses
import statistics
import time
import timeit

Batch = Callable[[int], float]


def loop(func: Callable[[], object]) -> Batch:
    """A batch that calls ``func()`` n times (timeit's own loop)."""
    timer = timeit.Timer(func)
    return timer.timeit


def samples(batches: dict[str, Batch], number: int,
            rounds: int) -> dict[str, list[float]]:
    """Seconds per operation of each candidate in each round."""
    names = list(batches)
    found: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        batches[name](max(1, number // 10))  # warm up caches and pools
    for round_ in range(rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            found[name].append(batches[name](number) / number)
    return found


def interleaved(batches: dict[str, Batch], number: int, rounds: int,
                statistic: str = 'min') -> dict[str, float]:
    """Seconds per operation of each candidate, measured side by side."""
    pick = min if statistic == 'min' else statistics.median
    return {name: pick(values) for name, values
            in samples(batches, number, rounds).items()}


def paired_ratio(found: dict[str, list[float]], measure: str,
                 baseline: str) -> float:
    """Median of the per-round ratios: robust to load that drifts."""
    return statistics.median(
        m / b for m, b in zip(found[measure], found[baseline]))


@dataclasses.dataclass
class Row:
    """One line of the table: ``measure / baseline`` against a target."""

    measure: str
    baseline: str
    measure_s: float
    baseline_s: float | None
    target: str
    limit: float
    slower_is_better: bool = False
    note: str = ''
    paired: float | None = None

    @property
    def ratio(self) -> float:
        if self.paired is not None:
            return self.paired
        if self.baseline_s is None:
            return self.measure_s
        if self.slower_is_better:
            return self.baseline_s / self.measure_s
        return self.measure_s / self.baseline_s

    @property
    def met(self) -> str:
        if self.limit <= 0:
            return 'info'
        if self.slower_is_better:
            return 'yes' if self.ratio >= self.limit else 'NO'
        return 'yes' if self.ratio <= self.limit else 'NO'


def _duration(seconds: float) -> str:
    if seconds >= 1e-3:
        return '%.2f ms' % (seconds * 1e3)
    if seconds >= 1e-6:
        return '%.2f us' % (seconds * 1e6)
    return '%.0f ns' % (seconds * 1e9)


def render(rows: list[Row]) -> str:
    """The table, as fixed-width text."""
    header = ('measure', 'time', 'baseline', 'time', 'ratio', 'target',
              'met')
    lines = []
    for row in rows:
        if row.baseline_s is None:
            ratio, base_time = '-', '-'
        else:
            ratio = '%.2fx' % row.ratio
            if row.slower_is_better:
                ratio = '%.1fx faster' % row.ratio
            base_time = _duration(row.baseline_s)
        lines.append((row.measure, _duration(row.measure_s), row.baseline,
                      base_time, ratio, row.target, row.met))
    widths = [max(len(str(line[i])) for line in [header] + lines)
              for i in range(len(header))]
    out = [' | '.join(h.ljust(w) for h, w in zip(header, widths)),
           '-+-'.join('-' * w for w in widths)]
    out += [' | '.join(str(c).ljust(w) for c, w in zip(line, widths))
            for line in lines]
    notes = ['  [%s] %s' % (row.measure, row.note) for row in rows
             if row.note]
    if notes:
        out += ['', 'notes:'] + notes
    return '\n'.join(out)


clock = time.perf_counter
