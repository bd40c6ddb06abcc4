"""Issue 14's leak shapes, dumped from a live service (leak_shapes_service.py)
and explained by the CLI: for each shape, `paths --holders` prints every
route with named hops, and the cut names what to remove. Runs under every
interpreter (3.9-3.15): the printed routes and cuts are the same on all."""

import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
N = 30


def wa_bin():
    b = os.environ.get("WA_BIN")
    return b if b and os.path.exists(b) else None


@unittest.skipIf(wa_bin() is None, "the CLI is not built (WA_BIN)")
class TestLeakShapes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dump = os.path.join(cls.tmp.name, "service.wa")
        subprocess.run([sys.executable, os.path.join(HERE, "leak_shapes_service.py"), cls.dump],
                       check=True, timeout=300)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def cli(self, *args):
        out = subprocess.run([wa_bin(), *args], capture_output=True, text=True, timeout=300)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def holders(self, typ):
        text = self.cli("paths", self.dump, "--select", "type=" + typ, "--holders")
        doc = json.loads(self.cli("paths", self.dump, "--select", "type=" + typ, "--holders",
                                  "--json"))
        self.assertEqual(doc["selected"], N)
        for line in text.splitlines():
            self.assertEqual(line, line.rstrip(), "trailing space")
            self.assertNotIn("  .", line, "an empty label")
            self.assertNotIn("''", line, "an empty label")
        return text, doc

    def assert_cut(self, doc, patterns):
        cut = doc["cut"]
        self.assertTrue(cut["found"], cut)
        self.assertEqual(cut["freed"], N, cut)
        self.assertEqual(sorted(p["pattern"] for p in cut["patterns"]), sorted(patterns), cut)
        self.assertFalse(any(p["internal"] for p in cut["patterns"]), cut)

    def test_cache_keyed_by_request_objects(self):
        text, doc = self.holders("Request")
        self.assertIn("30 Request held by dict <key <Request>>", text)
        self.assertIn("    via sys.modules['__main__'] .__dict__ ._result_cache <key <Request>>", text)
        self.assert_cut(doc, ["module '__main__' __dict__ ._result_cache <key *>"])
        self.assertIn("to free these 30 objects, remove:\n"
                      "  module '__main__' __dict__ ._result_cache <key *> (30 references)", text)

    def test_listener_list_of_bound_methods(self):
        text, doc = self.holders("Subscriber")
        self.assertIn("30 Subscriber held by method .__self__", text)
        self.assertIn("    via sys.modules['__main__'] .__dict__ .bus .listeners [*] .__self__", text)
        # the bound method is named as objgraph names it
        one = self.cli("paths", self.dump, "--select", "type=Subscriber", "--each", "--limit", "1")
        self.assertIn("method 'Subscriber.on_event (bound)'", one)
        self.assert_cut(doc, ["__main__.EventBus .listeners [*]"])

    def test_closure_in_a_logging_filter(self):
        text, doc = self.holders("AuditRecord")
        self.assertIn("30 AuditRecord held by list [*]", text)
        self.assertIn(".filters [*] .__closure__ [*] <closure records> [*]", text)
        self.assert_cut(doc, ["cell <closure records> [*]"])

    def test_two_holders_both_named(self):
        text, doc = self.holders("StreamSession")
        self.assertIn("kept alive through 2 holders", text)
        self.assertIn("30 StreamSession held by method .__self__", text)
        self.assertIn("30 StreamSession held by list [*]", text)
        # fixing the listener list alone would still leak: the cut has both
        self.assert_cut(doc, ["__main__.EventBus .listeners [*]", "cell <closure records> [*]"])
        clusters = self.cli("paths", self.dump, "--select", "type=StreamSession")
        self.assertIn("the selection has 2 distinct holders", clusters)
        self.assertIn("to free these 30 objects, remove:", clusters)

    def test_task_set_never_pruned(self):
        text, doc = self.holders("Job")
        self.assertIn("module '__main__' __dict__ ._background_tasks [*]", text)
        self.assert_cut(doc, ["module '__main__' __dict__ ._background_tasks [*]"])
        # the route names the Task by its coroutine and state, and its hop
        self.assertIn("._background_tasks {member} ._coro f_locals.job", text)
        one = self.cli("paths", self.dump, "--select", "type=Job", "--each", "--limit", "1")
        self.assertIn("_asyncio.Task 'transcribe (pending)'", one)
        self.assertIn("coroutine 'transcribe'", one)
        self.assertIn("to free these 30 objects, remove:\n"
                      "  module '__main__' __dict__ ._background_tasks [*] (30 references)", text)


if __name__ == "__main__":
    unittest.main()
