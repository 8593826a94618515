from accessdenied.text import LineIndex, Pos, utf16_len


def test_line_index_positions_are_one_based_with_exclusive_end():
    idx = LineIndex("ab\ncdé\r\nf")
    assert idx.pos(0) == Pos(1, 1)
    assert idx.pos(3) == Pos(2, 1)
    span = idx.span(3, 6)
    assert (span.start_line, span.start_column, span.end_line, span.end_column) == (
        2,
        1,
        2,
        4,
    )
    assert idx.line_text(2) == "cdé"
    assert idx.offset(3, 1) == 8
    assert idx.line_count == 3


def test_line_index_clamps_out_of_range():
    idx = LineIndex("abc")
    assert idx.pos(99) == Pos(1, 4)
    assert idx.offset(9, 9) == 3
    assert idx.offset(0, 5) == 0


def test_utf16_len_counts_surrogate_pairs():
    assert utf16_len("a😀é") == 4
