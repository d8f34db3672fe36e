"""Tests of the Python client. The live tests need servers and read their
addresses from the environment (the Go test clients/go/pyclient starts them):

    Q4C_TEST_ANNOTATOR_ADDR     an annotator with the offline back-end
    Q4C_TEST_ORCHESTRATOR_ADDR  an orchestrator (or the Go test double)
    Q4C_TEST_TOKEN              the bearer token both require, if any
    Q4C_TEST_REPO               a repository the orchestrator may read (a real
                                orchestrator needs one; the double does not)

Run: /usr/bin/python3 -m unittest discover -s tests -t . (in clients/python).
"""

import os
import threading
import unittest
from concurrent.futures import ThreadPoolExecutor

import grpc

from query4code import APIDoc, Callee, Client, GitSource, Q4CError
from query4code._gen.query4code.orchestrator.v1 import orchestrator_pb2, orchestrator_pb2_grpc
from query4code.client import JobEvent, is_local_target, to_source

SPLIT_MULTILINE = '''def split_multiline(value):
    """Split a multiline string into a list, excluding blank lines."""
    return [l for l in (x.strip() for x in value.split('\\n')) if l]
'''
MEAN = '''def mean(xs):
    """Return the arithmetic mean of a list of numbers."""
    return sum(xs) / len(xs)
'''


class HelpersTest(unittest.TestCase):
    def test_is_local_target(self):
        cases = {
            "localhost:50053": True,
            "127.0.0.1:50053": True,
            "[::1]:50053": True,
            "dns:///localhost:50053": True,
            "unix:///run/q4c.sock": True,
            "annotator.svc:50053": False,
            "10.0.0.7:50053": False,
            "dns:///annotator-headless:50053": False,
        }
        for addr, want in cases.items():
            with self.subTest(addr=addr):
                self.assertEqual(is_local_target(addr), want)

    def test_to_source(self):
        self.assertEqual(to_source("/data/repo").local_path, "/data/repo")
        self.assertEqual(to_source("https://github.com/psf/requests").git.url, "https://github.com/psf/requests")
        git = to_source(GitSource("https://github.com/psf/requests", "v2.32.3")).git
        self.assertEqual((git.url, git.revision), ("https://github.com/psf/requests", "v2.32.3"))
        with self.assertRaises(ValueError):
            to_source("")

    def test_token_needs_tls_off_this_machine(self):
        with self.assertRaises(ValueError):
            Client("annotator.example.com:50053", token="secret")
        Client("annotator.example.com:50053", token="secret", tls=True).close()
        Client("localhost:50053", token="secret").close()

    def test_annotate_refuses_bad_arguments_before_calling(self):
        with Client("localhost:1") as client:
            for kwargs in ({"code": "", "path": "a.py"}, {"code": "x", "path": ""},
                           {"code": "x", "path": "a.py", "keep_threshold": 4}):
                with self.subTest(kwargs=kwargs), self.assertRaises(ValueError):
                    client.annotate(**kwargs)

    def test_job_event_kinds(self):
        ev = orchestrator_pb2.JobEvent(sequence=7, done=orchestrator_pb2.JobDone(state=orchestrator_pb2.JOB_STATE_FAILED))
        got = JobEvent.from_proto(ev)
        self.assertEqual((got.sequence, got.kind, got.message.state), (7, "done", orchestrator_pb2.JOB_STATE_FAILED))


class DroppingOrchestrator(orchestrator_pb2_grpc.OrchestratorServiceServicer):
    """Serves one job of `events` events and breaks every watch stream with
    UNAVAILABLE after drop_after events (and before any event past
    stall_after), replaying `replay` old ones."""

    def __init__(self, events: int, drop_after: int, replay: int = 0, stall_after: int = 0):
        self.events = [
            orchestrator_pb2.JobEvent(sequence=i, progress=orchestrator_pb2.Progress(functions_done=i))
            for i in range(1, events)
        ] + [orchestrator_pb2.JobEvent(sequence=events, done=orchestrator_pb2.JobDone(state=orchestrator_pb2.JOB_STATE_SUCCEEDED))]
        self.drop_after, self.replay, self.stall_after = drop_after, replay, stall_after
        self.watch_calls = []
        self.lock = threading.Lock()

    def WatchJob(self, request, context):
        with self.lock:
            self.watch_calls.append(request.after_sequence)
        if request.job_id != "job-1":
            context.abort(grpc.StatusCode.NOT_FOUND, f"job {request.job_id!r} not found")
        start = max(0, request.after_sequence - self.replay)
        for n, ev in enumerate(self.events[start:]):
            if (self.drop_after and n == self.drop_after) or (self.stall_after and ev.sequence > self.stall_after):
                context.abort(grpc.StatusCode.UNAVAILABLE, "test double: connection dropped")
            yield orchestrator_pb2.WatchJobResponse(event=ev)


class RecordingOrchestrator(orchestrator_pb2_grpc.OrchestratorServiceServicer):
    """Records the SubmitJob requests it receives."""

    def __init__(self):
        self.requests = []

    def SubmitJob(self, request, context):
        self.requests.append(request)
        return orchestrator_pb2.SubmitJobResponse(job_id="job-1")


class SubmitOptionsTest(unittest.TestCase):
    def test_training_options_reach_the_request(self):
        orch = RecordingOrchestrator()
        server = grpc.server(ThreadPoolExecutor(max_workers=2))
        orchestrator_pb2_grpc.add_OrchestratorServiceServicer_to_server(orch, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self.addCleanup(server.stop, None)
        with Client(f"127.0.0.1:{port}") as client:
            client.submit_job(["/repos/a"], licenses=["MIT", "permissive"], decontaminate_paths=["/eval"],
                              near_duplicate_threshold=0.9, splits=[0.8, 0.1, 0.1])
        opts = orch.requests[0].options
        self.assertEqual(list(opts.filters.licenses), ["MIT", "permissive"])
        self.assertEqual(list(opts.filters.decontaminate_paths), ["/eval"])
        self.assertAlmostEqual(opts.filters.near_duplicate_threshold, 0.9)
        self.assertFalse(opts.filters.keep_near_duplicates or opts.filters.keep_contaminated)
        self.assertEqual([round(s, 2) for s in opts.splits], [0.8, 0.1, 0.1])


class WatchResumeTest(unittest.TestCase):
    def serve(self, servicer):
        server = grpc.server(ThreadPoolExecutor(max_workers=4))
        orchestrator_pb2_grpc.add_OrchestratorServiceServicer_to_server(servicer, server)
        port = server.add_insecure_port("127.0.0.1:0")
        server.start()
        self.addCleanup(server.stop, None)
        return f"127.0.0.1:{port}"

    def test_resumes_without_loss_or_repeats(self):
        cases = [
            # (drop_after, replay, after_sequence, want sequences, want watch calls)
            (0, 0, 0, [1, 2, 3, 4, 5], [0]),
            (1, 0, 0, [1, 2, 3, 4, 5], [0, 1, 2, 3, 4]),
            (2, 1, 0, [1, 2, 3, 4, 5], [0, 2, 3, 4]),
            (2, 0, 3, [4, 5], [3]),
        ]
        for drop_after, replay, after, want, want_calls in cases:
            with self.subTest(drop_after=drop_after, replay=replay, after=after):
                orch = DroppingOrchestrator(5, drop_after, replay)
                with Client(self.serve(orch), watch_backoff=0.001) as client:
                    events = list(client.watch_job("job-1", after_sequence=after))
                self.assertEqual([e.sequence for e in events], want)
                self.assertEqual(events[-1].kind, "done")
                self.assertEqual(orch.watch_calls, want_calls)

    def test_gives_up(self):
        # Two events, then every stream fails before sending anything.
        orch = DroppingOrchestrator(5, drop_after=0, stall_after=2)
        with Client(self.serve(orch), watch_backoff=0.001, watch_reconnects=2) as client:
            seen = []
            with self.assertRaises(Q4CError) as caught:
                for ev in client.watch_job("job-1"):
                    seen.append(ev.sequence)
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
        self.assertEqual(seen, [1, 2])
        # Each of the 2 reconnects is itself tried 4 times by the channel's
        # retry policy, which retries a stream that failed before its first
        # message.
        self.assertEqual(orch.watch_calls, [0] + [2] * (2 * 4))

    def test_unknown_job_is_not_retried(self):
        orch = DroppingOrchestrator(5, drop_after=1)
        with Client(self.serve(orch), watch_backoff=0.001) as client:
            with self.assertRaises(Q4CError) as caught:
                list(client.watch_job("job-404"))
        self.assertEqual(caught.exception.code, grpc.StatusCode.NOT_FOUND)
        self.assertEqual(orch.watch_calls, [0])


def live(var):
    addr = os.environ.get(var)
    return unittest.skipUnless(addr, f"${var} is not set: run through the Go test clients/go/pyclient")


@live("Q4C_TEST_ANNOTATOR_ADDR")
class AnnotatorTest(unittest.TestCase):
    def setUp(self):
        self.client = Client(os.environ["Q4C_TEST_ANNOTATOR_ADDR"], token=os.environ.get("Q4C_TEST_TOKEN"))
        self.addCleanup(self.client.close)

    def test_annotate(self):
        res = self.client.annotate(
            SPLIT_MULTILINE, path="textutil/lines.py",
            callees=[Callee("textutil.clean.strip_all", summary="Strips whitespace from every line.")],
            api_docs=[APIDoc("rarelib.text.normalize", "normalize(s) -> str\nNormalize unicode text.")])
        self.assertEqual(res.query, "how to split multiline string into list excluding blank in python")
        self.assertEqual((res.score, res.kept, res.model, res.prompt_version), (3, True, "offline", "v2"))
        self.assertEqual(res.context.callees_used, ("textutil.clean.strip_all",))
        self.assertEqual(res.context.api_docs_used, ("rarelib.text.normalize",))
        self.assertEqual(res.usage.llm_calls, 0)

    def test_invalid_argument(self):
        with self.assertRaises(Q4CError) as caught:
            self.client.annotate("x" * 65537, path="big.py")
        self.assertEqual(caught.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("function.code", caught.exception.message)

    def test_annotate_batch_in_order(self):
        reqs = [
            {"code": SPLIT_MULTILINE, "path": "textutil/lines.py"},
            {"code": "DISPLAY 'HI'.", "path": "x.cbl", "language": "cobol"},
            {"code": MEAN, "path": "mathutil.py"},
        ] * 3
        results = self.client.annotate_batch(reqs, concurrency=4)
        self.assertEqual(len(results), len(reqs))
        for i, res in enumerate(results):
            with self.subTest(item=i):
                if reqs[i]["path"] == "x.cbl":
                    self.assertIsInstance(res, Q4CError)
                    self.assertEqual(res.code, grpc.StatusCode.INVALID_ARGUMENT)
                else:
                    self.assertEqual(res, self.client.annotate(**reqs[i]))


@live("Q4C_TEST_ORCHESTRATOR_ADDR")
class OrchestratorTest(unittest.TestCase):
    def setUp(self):
        self.client = Client(os.environ["Q4C_TEST_ORCHESTRATOR_ADDR"], token=os.environ.get("Q4C_TEST_TOKEN"),
                             watch_backoff=0.01)
        self.addCleanup(self.client.close)

    def test_submit_and_watch(self):
        repo = os.environ.get("Q4C_TEST_REPO")
        # A real orchestrator needs a repository it may read; the Go double
        # accepts any source and makes one pair per source.
        sources = [repo] if repo else ["/repos/bookshelf", GitSource("https://example.com/tools.git", "v1")]
        job_id = self.client.submit_job(sources, concurrency=4, skip_tests=True)
        events = list(self.client.watch_job(job_id))
        self.assertEqual([e.sequence for e in events], list(range(1, len(events) + 1)))
        self.assertEqual(events[-1].kind, "done")
        self.assertEqual(events[-1].message.state, orchestrator_pb2.JOB_STATE_SUCCEEDED, events[-1].message.error)
        pairs = [e.message for e in events if e.kind == "pair"]
        if repo:
            self.assertGreater(len(pairs), 0)
        else:
            self.assertEqual(len(pairs), 2)
        for p in pairs:
            self.assertTrue(p.query and p.code and p.function, p)
        job = self.client.get_job(job_id)
        self.assertEqual(job.job_id, job_id)
        self.assertEqual(job.state, orchestrator_pb2.JOB_STATE_SUCCEEDED)
        self.assertTrue(job.idempotency_key.startswith("q4c-py-"))

        # Resuming from the middle gives exactly the rest.
        middle = events[len(events) // 2].sequence
        rest = [e.sequence for e in self.client.watch_job(job_id, after_sequence=middle)]
        self.assertEqual(rest, [e.sequence for e in events if e.sequence > middle])

    def test_idempotency_key(self):
        source = os.environ.get("Q4C_TEST_REPO", "/repos/a")
        first = self.client.submit_job([source], idempotency_key="py-test-key")
        again = self.client.submit_job([source], idempotency_key="py-test-key")
        self.assertEqual(first, again)


if __name__ == "__main__":
    unittest.main()
