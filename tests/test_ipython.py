"""IPython's own syntax in notebook cells is masked line for line; plain Python is left alone."""

from __future__ import annotations

import pytest

from phx_tasklint.lint.ipython import mask_ipython


@pytest.mark.parametrize(
    ("line", "masked"),
    [
        ("x = %timeit f()", "x = None"),
        ("a, b = !ls", "a, b = None"),
        ("self.out = !ls", "self.out = None"),
        ("x[0] = !ls", "x[0] = None"),
    ],
)
def test_an_assigned_magic_keeps_its_target(line: str, masked: str) -> None:
    assert mask_ipython([line]) == [masked]


@pytest.mark.parametrize(
    "line",
    [
        "print ('I have m = %d points' % (m))",  # seen in real course notebooks
        'print("x = !important")',
        "f(a = %d)",
        "s = '%s' % x",
        "x == %d",
    ],
)
def test_an_equals_sign_in_a_string_or_call_is_plain_python(line: str) -> None:
    assert mask_ipython([line]) == [line]
