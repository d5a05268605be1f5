"""vcrpy's side of the cassette-open bench (src/bench/cassette-open.ts): the same interactions, saved,
loaded and matched with vcrpy and its libyaml serializer. Reads the interactions as JSON from argv[1],
writes the cassette to argv[2], prints one JSON line: save, load and match times and the peak RSS."""
import json
import resource
import sys
import time

import vcr
import yaml
from vcr.cassette import Cassette
from vcr.matchers import body, method, uri
from vcr.persisters.filesystem import FilesystemPersister
from vcr.request import Request
from vcr.serializers import yamlserializer


def main():
    source, path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open(source) as f:
        calls = json.load(f)
    requests = [Request(c["method"], c["uri"], c["body"], c["headers"]) for c in calls]
    responses = [
        {"status": {"code": c["status"], "message": "OK"}, "headers": {k: [v] for k, v in c["response_headers"]}, "body": {"string": c["response_body"]}}
        for c in calls
    ]
    saves, loads, matches = [], [], []
    for _ in range(runs):
        t = time.perf_counter()
        FilesystemPersister.save_cassette(path, {"requests": requests, "responses": responses}, yamlserializer)
        saves.append((time.perf_counter() - t) * 1000)
    for _ in range(runs):
        t = time.perf_counter()
        cassette = Cassette.load(path=path, serializer=yamlserializer, persister=FilesystemPersister, record_mode="none", match_on=(method, uri, body), allow_playback_repeats=True)
        loads.append((time.perf_counter() - t) * 1000)
    assert len(cassette) == len(calls), f"vcrpy loaded {len(cassette)} of {len(calls)}"
    # Requests spread over the cassette, each answered by vcrpy's own lookup.
    step = max(1, len(calls) // 200)
    for i in range(0, len(calls), step):
        t = time.perf_counter()
        cassette.play_response(requests[i])
        matches.append((time.perf_counter() - t) * 1e6)
    print(json.dumps({
        "vcrpy": vcr.__version__,
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)),
        "saveMs": saves,
        "loadMs": loads,
        "matchUs": matches,
        "peakRss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


main()
