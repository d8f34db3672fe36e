import unittest

from mypkg import Engine
from mypkg.core import Engine as CoreEngine


class EngineTest(unittest.TestCase):
    def test_run(self):
        self.assertEqual(Engine().run(" A "), '{"value": "a"}')

    def check_clean(self):
        engine = CoreEngine()
        self.assertEqual(engine.clean(" B "), "b")
