# tests/test_edn.py — owns the tests of ion.edn: round trips of every value kind, the
# hashable forms of composite keys, and read errors that name what was expected.
import datetime
import decimal
import fractions
import math
import unittest
import uuid

import support  # noqa: F401
from ion.edn import Char, EdnError, FrozenDict, Keyword, List, Symbol, Tagged, dumps, kw, read, sym


class RoundTrips(unittest.TestCase):
    def round_trip(self, text, expected=None):
        value = read(text)
        if expected is not None:
            self.assertEqual(value, expected)
        self.assertEqual(read(dumps(value)), value, dumps(value))
        return value

    def test_scalars(self):
        self.round_trip("nil", None)
        self.round_trip("true", True)
        self.round_trip("false", False)
        self.round_trip("-42", -42)
        self.round_trip("+7", 7)
        self.round_trip("1.5", 1.5)
        self.round_trip("1e10", 1e10)
        self.assertEqual(dumps(1.0), "1.0")
        self.round_trip("1.25M", decimal.Decimal("1.25"))
        self.round_trip("3/4", fractions.Fraction(3, 4))
        self.round_trip(":inv/sku", Keyword("inv/sku"))
        self.round_trip("ion.starter/echo", Symbol("ion.starter/echo"))
        self.round_trip("\\a", Char("a"))
        self.round_trip("\\newline", Char("\n"))
        self.round_trip("\\u00e9", Char("é"))

    def test_big_ints(self):
        big = 2 ** 100
        self.round_trip(str(big), big)
        self.round_trip(f"{big}N", big)
        self.assertEqual(dumps(big), f"{big}N")
        self.assertEqual(dumps(2 ** 63 - 1), str(2 ** 63 - 1))
        self.assertEqual(dumps(-(2 ** 63) - 1), f"{-(2 ** 63) - 1}N")

    def test_non_finite_doubles(self):
        self.assertEqual(read("##Inf"), math.inf)
        self.assertEqual(read("##-Inf"), -math.inf)
        self.assertTrue(math.isnan(read("##NaN")))
        self.assertEqual(dumps([math.inf, -math.inf]), "[##Inf ##-Inf]")
        self.assertEqual(dumps(math.nan), "##NaN")

    def test_strings_and_unicode(self):
        s = 'ü 日本 🎉 "quoted" back\\slash\ttab\nnewline'
        self.assertEqual(read(dumps(s)), s)
        self.round_trip('"\\u00fc\\n"', "ü\n")
        self.assertEqual(dumps("ü"), '"ü"')

    def test_collections(self):
        v = self.round_trip('[1 (2 3) {:a #{4 5}} "x"]')
        self.assertIsInstance(v, list)
        self.assertIsInstance(v[1], List)
        self.assertEqual(v[2], {kw("a"): {4, 5}})
        self.assertEqual(dumps(List([1, 2])), "(1 2)")
        self.assertEqual(dumps((1, 2)), "[1 2]")

    def test_composite_keys(self):
        v = self.round_trip('{[1 2] :vec, {:a 1} :map, #{:s} :set, (1) :list, nil 0}')
        self.assertEqual(v[(1, 2)], kw("vec"))
        self.assertEqual(v[FrozenDict({kw("a"): 1})], kw("map"))
        self.assertEqual(v[frozenset({kw("s")})], kw("set"))
        self.assertEqual(v[List([1])], kw("list"))
        s = self.round_trip('#{[1 [2]] {:k [3]} #{#{4}}}')
        self.assertIn((1, (2,)), s)
        self.assertIn(frozenset({frozenset({4})}), s)

    def test_sets_print_in_a_stable_order(self):
        self.assertEqual(dumps({3, 1, 2}), "#{1 2 3}")

    def test_inst_and_uuid(self):
        when = self.round_trip('#inst "2024-01-31T12:30:45.123Z"')
        self.assertEqual(when, datetime.datetime(2024, 1, 31, 12, 30, 45, 123000,
                                                 tzinfo=datetime.timezone.utc))
        self.assertEqual(dumps(when), '#inst "2024-01-31T12:30:45.123Z"')
        shifted = read('#inst "2024-01-31T13:30:45.123456+01:00"')
        self.assertEqual(shifted, when)  # UTC, ms precision
        self.assertEqual(read('#inst "2024-01-31"').hour, 0)
        u = self.round_trip('#uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"')
        self.assertEqual(u, uuid.UUID("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"))
        with self.assertRaisesRegex(EdnError, "naive datetime"):
            dumps(datetime.datetime(2024, 1, 1))

    def test_other_tags_discard_comments_commas(self):
        self.round_trip("#my/tag [1 2]", Tagged(sym("my/tag"), [1, 2]))
        self.assertEqual(read("[1 #_ 2 3] ; trailing comment"), [1, 3])
        self.assertEqual(read(";; lead\n{:a 1,, :b 2}"), {kw("a"): 1, kw("b"): 2})
        self.assertEqual(read("#_ #_ 1 2 3"), 3)


class ReadErrors(unittest.TestCase):
    def check(self, text, *fragments):
        with self.assertRaises(EdnError) as cm:
            read(text)
        for fragment in fragments:
            self.assertIn(fragment, str(cm.exception), text)
        return cm.exception

    def test_errors_name_what_was_expected(self):
        self.check("", "empty")
        self.check("[1 2", "not closed", "expected `]`")
        self.check('"abc', "string is not closed", 'expected `"`')
        self.check("{:a}", "key without a value", "expected an even number")
        self.check("1 2", "unexpected text after the value", "expected a single EDN value")
        self.check("#{1 1}", "duplicate element")
        self.check("{:a 1 :a 2}", "duplicate key")
        self.check('"\\q"', "invalid escape", "expected one of")
        self.check("\\bogus", "unknown character", "expected a single character")
        self.check('#inst "yesterday"', "not an RFC 3339 timestamp", "expected")
        self.check('#uuid "nope"', "not a UUID", "expected")
        self.check("##Nope", "expected ##Inf, ##-Inf or ##NaN")
        self.check("1.2.3", "invalid number")
        self.check(")", "unmatched delimiter")

    def test_errors_carry_line_and_column(self):
        e = self.check("[1\n 2\n ]]", "unexpected text")
        self.assertEqual((e.line, e.column), (3, 3))

    def test_printing_unknown_types_names_them(self):
        with self.assertRaisesRegex(EdnError, "cannot print a builtins.object"):
            dumps(object())


if __name__ == "__main__":
    unittest.main()
