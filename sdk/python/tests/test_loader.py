# tests/test_loader.py — owns the tests of ion.loader: importing an app and its packages
# from in-memory sources, and the developer messages of syntax errors and exceptions.
import sys
import unittest

import support  # noqa: F401
from ion import loader, registry


class Loading(unittest.TestCase):
    def setUp(self):
        registry.reset()
        self.meta_path = list(sys.meta_path)
        for name in ("app", "pkg", "pkg.mod"):
            sys.modules.pop(name, None)

    def tearDown(self):
        sys.meta_path[:] = self.meta_path
        for name in ("app", "pkg", "pkg.mod"):
            sys.modules.pop(name, None)

    def test_imports_app_and_packages_from_sources(self):
        loader.load({
            "app.py": "import ion\nfrom pkg.mod import GREETING\nion.namespace('t')\n"
                      "@ion.lambda_\ndef hi(i, c):\n    return GREETING\n",
            "pkg/__init__.py": "",
            "pkg/mod.py": "GREETING = 'hello'\n",
            "README.md": "ignored",
        })
        self.assertEqual([i.name for i in registry.registered()], ["t/hi"])
        self.assertEqual(sys.modules["pkg.mod"].__file__, "pkg/mod.py")

    def test_syntax_errors_name_file_and_line(self):
        with self.assertRaises(ValueError) as cm:
            loader.load({"app.py": "import pkg\n", "pkg/__init__.py": "x = 1\ndef f(:\n"})
        self.assertIn("pkg/__init__.py, line 2: SyntaxError", str(cm.exception))

    def test_exceptions_name_file_and_line(self):
        with self.assertRaises(ValueError) as cm:
            loader.load({"app.py": "x = 1\nraise ImportError('inside app')\n"})
        self.assertIn("app.py, line 2: ImportError: inside app", str(cm.exception))
        self.assertNotIn("app", sys.modules)

    def test_an_app_py_is_required(self):
        with self.assertRaisesRegex(ValueError, "no app.py at its top level"):
            loader.load({"main.py": ""})


if __name__ == "__main__":
    unittest.main()
