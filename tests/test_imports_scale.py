"""What keeps a worker within its memory on a 1 M-row file: the dry run remembers each email's first row in a
few bytes, and still names the earlier row of a duplicate."""

import tracemalloc

from imports.engine import FirstRows


def test_the_first_row_of_each_value_is_remembered_in_a_few_bytes():
    first_rows = FirstRows()
    tracemalloc.start()
    try:
        for row in range(2, 100_002):
            assert first_rows.first(f"kid{row}@example.org", row) is None
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert held < 2_000_000  # a dict of the emails holds ~12 MB
    assert first_rows.first("kid12@example.org", 100_002) == 12
    assert first_rows.first("KID12@example.org", 100_003) is None  # keys come normalized; others differ
