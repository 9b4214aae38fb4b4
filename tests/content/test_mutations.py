"""Every mutated file is a message (issue 19): the example content and schedule files, each
mutated the ways a person or a bad copy does (a byte flipped, lines deleted or
duplicated, two values swapped, a huge number, deep nesting, a subject template that
divides by zero), go through `digest check` in process. It may report any number of
problems, but never raises anything but DigestError, never says "internal error", and
never hangs (a generous bound on CPU time, only as a hang guard: speed is measured in bench/).

Deterministic: hypothesis is derandomized, so every run tries the same cases."""

from __future__ import annotations

import re
import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import REPO

from digest.cli.main import cli

HANG_GUARD_CPU_SECONDS = 20.0  # CPU time of one check; a hang guard only, never a timing assert
HANG_GUARD_WALL_SECONDS = 600.0  # the machine may be very busy: wall time only stops a stuck test
FILES = sorted(
    p.relative_to(REPO).as_posix() for p in [*(REPO / "content").rglob("*.yaml"), *(REPO / "schedules").glob("*.yaml")]
)
ORIGINAL = {name: (REPO / name).read_bytes() for name in FILES}
HUGE = ["9" * 400, "99999999999999999999", "1e999", "-1", "0", "1e308", ".inf", ".nan", "10**100", "-0"]
DEEP = [50, 64, 65, 200, 5000]
SUBJECTS = [
    "{{ count / 0 }}",
    "{{ count % 0 }}",
    "{{ count // (count - count) }}",
    "{{ range(10**12)|list|length }}",
    "{{ 'x' * 10**10 }}",
    "{{ [1] * 10**10 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ 2 ** 10 ** 10 }}",
    "{{ 'a'|center(10**9) }}",
    "{{ 'a'.ljust(10**10) }}",
    "{{ '{:>999999999}'.format(count) }}",
    "{{ '%999999999d' % count }}",
    "{{ 'x'|wordwrap(0) }}",
    "{{ 'x'|truncate(-5) }}",
    "{{ [][0] }}",
    "{{ 1e999 }}",
    "{% for a in range(1000) %}{% for b in range(1000) %}{% for c in range(1000) %}{% endfor %}{% endfor %}{% endfor %}",
    "{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}",
    "{{ " + "(" * 300 + "count" + ")" * 300 + " }}",
]


@dataclass(frozen=True)
class Mutation:
    file: str
    what: str
    text: bytes

    def __repr__(self) -> str:  # hypothesis shows this for a failing case
        return f"Mutation({self.file!r}, {self.what!r})"


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


@st.composite
def mutations(draw: st.DrawFn) -> Mutation:
    name = draw(st.sampled_from(FILES))
    data = ORIGINAL[name]
    lines = _lines(data)
    kinds = ["flip", "delete", "duplicate", "swap", "huge", "nest", "subject", "breaks", "replace"]
    kind = draw(st.sampled_from(kinds))
    at = draw(st.integers(0, len(lines) - 1))
    if kind == "flip":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 4))):
            out[draw(st.integers(0, len(out) - 1))] = draw(st.integers(0, 255))
        return Mutation(name, "bytes flipped", bytes(out))
    if kind == "delete":
        n = draw(st.integers(1, 3))
        return Mutation(name, f"lines {at + 1}-{at + n} deleted", b"\n".join(lines[:at] + lines[at + n :]))
    if kind == "duplicate":
        n, times = draw(st.integers(1, 3)), draw(st.integers(1, 3))
        return Mutation(
            name, f"lines {at + 1}-{at + n} repeated", b"\n".join(lines[:at] + lines[at : at + n] * times + lines[at:])
        )
    values = [i for i, line in enumerate(lines) if re.match(rb"\s*-?\s*[\w-]+: \S", line)]
    numbers = [(i, m.span()) for i, line in enumerate(lines) for m in re.finditer(rb"\d+", line)]
    if kind == "swap" and values:  # two values swapped between their keys
        i, j = draw(st.sampled_from(values)), draw(st.sampled_from(values))
        a, b = (re.match(rb"(\s*-?\s*[\w-]+: )(.*)", lines[k]) for k in (i, j))
        lines[i], lines[j] = a[1] + b[2], b[1] + a[2]
        return Mutation(name, f"values of lines {i + 1} and {j + 1} swapped", b"\n".join(lines))
    if kind == "huge" and numbers:
        i, (start, end) = draw(st.sampled_from(numbers))
        huge = draw(st.sampled_from(HUGE)).encode()
        lines[i] = lines[i][:start] + huge + lines[i][end:]
        return Mutation(name, f"a number on line {i + 1} made {huge[:20]!r}", b"\n".join(lines))
    if kind == "nest":
        depth, bracket = draw(st.sampled_from(DEEP)), draw(st.sampled_from([b"[", b"{a: "]))
        close = b"]" if bracket == b"[" else b"}"
        m = re.match(rb"(\s*-?\s*[\w-]+: )", lines[at])
        head = m[1] if m else b"x: "
        lines[at] = head + bracket * depth + b"1" + close * draw(st.sampled_from([depth, 0]))
        return Mutation(name, f"line {at + 1} nested {depth} deep", b"\n".join(lines))
    if kind == "subject":
        template = draw(st.sampled_from(SUBJECTS))
        quoted = b"subject: '" + template.replace("'", "''").encode() + b"'"
        kept = [line for line in lines if not line.startswith(b"subject:")]
        return Mutation(name, f"subject {template[:40]!r}", b"\n".join([*kept, quoted]))
    if kind == "breaks":  # other line ends (a file saved with CR ones, a stray NEL), and perhaps a slip
        brk = draw(st.sampled_from(["\r", "\r\n", "\x85", "\u2028", "\u2029"])).encode()
        slip = draw(st.sampled_from([b"", b"x: [1,", b"  y: a: b", b" z: 1", b"w: 'open"]))
        if slip:
            lines.insert(at, slip)
        return Mutation(name, f"line ends made {brk!r}, {slip!r} at line {at + 1}", brk.join(lines))
    other = draw(st.sampled_from([*FILES, "", "null", "[]", "- 1", "0", "{}", "a: !!binary aGk=", "a: b: c"]))
    text = ORIGINAL[other] if other in ORIGINAL else other.encode()
    return Mutation(name, f"replaced by {other or 'nothing'!r}", text)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example project (settings, content, schedules, templates), copied once."""
    dest = tmp_path_factory.mktemp("mutated")
    for folder in ("content", "schedules", "templates"):
        shutil.copytree(REPO / folder, dest / folder)
    shutil.copy(REPO / "digest.toml", dest / "digest.toml")
    return dest


def check_in_a_thread(root: Path) -> tuple[object, float]:
    """`digest check` in process, in a thread watched on its CPU time: (result, CPU seconds)."""
    box: dict[str, object] = {}
    started = threading.Event()

    def run() -> None:
        box["clock"] = time.pthread_getcpuclockid(threading.get_ident())
        started.set()
        box["result"] = CliRunner().invoke(cli, ["--root", str(root), "check"], catch_exceptions=True)
        box["cpu"] = time.thread_time()

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    started.wait()
    deadline = time.monotonic() + HANG_GUARD_WALL_SECONDS
    while worker.is_alive():
        worker.join(0.5)
        try:
            cpu = time.clock_gettime(box["clock"])
        except OSError:  # it has just ended
            break
        assert cpu < HANG_GUARD_CPU_SECONDS, f"digest check still running after {cpu:.0f} s of CPU"
        assert time.monotonic() < deadline, "digest check did not finish (wall-clock guard)"
    worker.join()
    return box["result"], box["cpu"]


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(mutation=mutations())
def test_a_mutated_file_is_a_message_never_an_internal_error(site: Path, mutation: Mutation) -> None:
    path = site / mutation.file
    path.write_bytes(mutation.text)
    try:
        result, cpu = check_in_a_thread(site)
    finally:
        path.write_bytes(ORIGINAL[mutation.file])
    assert cpu < HANG_GUARD_CPU_SECONDS
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{mutation}: {type(result.exception).__name__}") from result.exception
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.output and "Traceback" not in result.output, result.output
