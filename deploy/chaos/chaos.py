#!/usr/bin/env python3
"""The fault harness and the scale-out check of deploy/chaos/chaos.sh (`bin/kaption chaos`), against a running
Compose project (three brokers). Python's standard library only: HTTP clients (blocking, Takeoff and OpenAI
streams, the sink's resumable event stream), S3 over plain HTTP (S3Proxy without authorization), Kafka through the
console tools (the host's ConsoleProducer, the brokers' kafka-*.sh), faults through the Docker CLI and signals to the
containers' processes.

  chaos.py faults [--kills N] [--images N] ...   load + faults, then checks; exit status 1 on any violation
  chaos.py scale [--max-workers N] ...           1..N workers on a 12-partition topic: spread, loss, throughput
"""
import argparse
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

T0 = time.monotonic()
PRINT_LOCK = threading.Lock()


def now():
    return time.monotonic() - T0


def say(message):
    with PRINT_LOCK:
        print(f"[chaos +{now():7.1f}s] {message}", flush=True)


# ---------------------------------------------------------------- HTTP

def http_call(base, method, path, body=None, headers=None, timeout=330):
    """(status, headers, body bytes); raises OSError/HTTPException when the connection fails."""
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def sse_events(response):
    """Yields (event, id, data) from a text/event-stream response until it ends."""
    event, event_id, data = None, None, []
    while True:
        raw = response.readline()
        if not raw:
            return
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                yield event or "message", event_id, "\n".join(data)
            event, event_id, data = None, None, []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                event = value
            elif field == "id":
                event_id = value
            elif field == "data":
                data.append(value)


def ended_cleanly(response):
    """Whether a streamed response reached its end: http.client's readline() reports a chunked body that the server
    cut off (its process killed) as a plain end, so the last-chunk marker is checked here, as an SSE client would."""
    return not response.chunked or response.chunk_left is None


def open_stream(base, method, path, body, headers, timeout=330):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    conn.request(method, path, body=body, headers=headers)
    return conn, conn.getresponse()


# ---------------------------------------------------------------- Docker and Kafka

class Fleet:
    """The Compose project's containers, found by their labels."""

    def __init__(self, project, compose):
        self.project = project
        self.compose = compose  # the compose command line with its -f files, as a list

    def containers(self, service, running_only=True):
        args = ["docker", "ps", "-q", "--no-trunc", "--filter", f"label=com.docker.compose.project={self.project}",
                "--filter", f"label=com.docker.compose.service={service}"]
        if not running_only:
            args.insert(2, "-a")
        return sorted(subprocess.run(args, capture_output=True, text=True, check=True).stdout.split())

    @staticmethod
    def inspect(container, template):
        return subprocess.run(["docker", "inspect", "-f", template, container], capture_output=True, text=True,
                              check=True).stdout.strip()

    def pid(self, container):
        return int(self.inspect(container, "{{.State.Pid}}"))

    def ip(self, container):
        return self.inspect(container, "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}")

    def signal(self, container, sig):
        """Signals the container's main process (the JVM: PID 1 inside) from the host, as the kernel's OOM killer or
        a node's kill would."""
        os.kill(self.pid(container), sig)

    def restarts(self, container):
        return int(self.inspect(container, "{{.RestartCount}}"))

    def running(self, container):
        return self.inspect(container, "{{.State.Running}}") == "true"

    def broker(self):
        """A running broker container, for the Kafka tools."""
        for service in ("kafka", "kafka-2", "kafka-3"):
            for container in self.containers(service):
                return container
        raise RuntimeError("no broker runs")

    def kafka_tool(self, tool, *args, timeout=120):
        result = subprocess.run(["docker", "exec", self.broker(), f"/opt/kafka/bin/{tool}",
                                 "--bootstrap-server", "kafka:19092,kafka-2:19092,kafka-3:19092", *args],
                                capture_output=True, text=True, timeout=timeout)
        return result.stdout

    def worker_http(self, container, path):
        """GET on the worker's health server (port 3001) from inside its container (bash's /dev/tcp: no curl)."""
        script = ("exec 3<>/dev/tcp/127.0.0.1/3001 && printf 'GET %s HTTP/1.0\\r\\nHost: w\\r\\n\\r\\n' >&3 "
                  "&& timeout 5 cat <&3") % path
        result = subprocess.run(["docker", "exec", container, "bash", "-c", script], capture_output=True, text=True,
                                timeout=15)
        return result.stdout

    def occupancy(self, container):
        try:
            for line in self.worker_http(container, "/metrics").splitlines():
                if line.startswith("kaption_batch_occupancy"):
                    return float(line.split()[-1])
        except (subprocess.SubprocessError, ValueError):
            pass
        return None

    def cpu_seconds(self, container):
        """CPU time of the container so far (cgroup v1 cpuacct or v2 cpu.stat), or None."""
        for path in (f"/sys/fs/cgroup/cpuacct/docker/{container}/cpuacct.usage",
                     f"/sys/fs/cgroup/cpu,cpuacct/docker/{container}/cpuacct.usage"):
            if os.path.exists(path):
                return int(open(path).read()) / 1e9
        for path in (f"/sys/fs/cgroup/system.slice/docker-{container}.scope/cpu.stat",
                     f"/sys/fs/cgroup/docker/{container}/cpu.stat"):
            if os.path.exists(path):
                for line in open(path):
                    if line.startswith("usage_usec"):
                        return int(line.split()[1]) / 1e6
        return None

    def group_rows(self, group=None):
        """Rows of kafka-consumer-groups.sh --describe: dicts with group, topic, partition, current, end, lag,
        consumer, host."""
        args = ["--describe", "--group", group] if group else ["--describe", "--all-groups"]
        rows = []
        for line in self.kafka_tool("kafka-consumer-groups.sh", *args).splitlines():
            parts = line.split()
            if len(parts) < 9 or parts[0] == "GROUP" or not parts[2].isdigit():
                continue
            rows.append(dict(group=parts[0], topic=parts[1], partition=int(parts[2]), current=parts[3],
                             end=parts[4], lag=parts[5], consumer=parts[6], host=parts[7].lstrip("/")))
        return rows

    def records(self, topic):
        """The sum of a topic's end offsets (records ever written, transaction markers included)."""
        total = 0
        for line in self.kafka_tool("kafka-get-offsets.sh", "--topic", topic).splitlines():
            parts = line.strip().split(":")
            if len(parts) == 3 and parts[2].isdigit():
                total += int(parts[2])
        return total

    def leaders(self, topic):
        """{partition: leader broker id} of a topic."""
        leaders = {}
        for line in self.kafka_tool("kafka-topics.sh", "--describe", "--topic", topic).splitlines():
            fields = dict(part.split(": ", 1) for part in line.strip().split("\t") if ": " in part)
            if "Partition" in fields and "Leader" in fields:
                leaders[int(fields["Partition"])] = fields["Leader"].strip()
        return leaders

    def read_topic(self, topic, timeout_ms=8000):
        """Every record of a topic as (key, value) strings."""
        out = subprocess.run(["docker", "exec", self.broker(), "/opt/kafka/bin/kafka-console-consumer.sh",
                              "--bootstrap-server", "kafka:19092,kafka-2:19092,kafka-3:19092", "--topic", topic,
                              "--from-beginning", "--timeout-ms", str(timeout_ms),
                              "--formatter-property", "print.key=true", "--formatter-property", "key.separator=\t",
                              "--group", f"chaos-reader-{os.getpid()}-{now():.0f}"],
                             capture_output=True, text=True, timeout=300).stdout
        records = []
        for line in out.splitlines():
            key, tab, value = line.partition("\t")
            if tab:  # the tool's own notices have no tab
                records.append((key, value))
        return records


class HostProducer:
    """Kafka's console producer on the host (acks=all, idempotent), fed line by line."""

    def __init__(self, root, bootstrap, topic):
        self.log = open(os.path.join(os.environ.get("CHAOS_WORK", "/tmp"), f"producer-{topic}.log"), "w")
        self.process = subprocess.Popen(
            ["java", f"-Dlogback.configurationFile={root}/deploy/images/kafka/tools-logback.xml", "-cp",
             f"{root}/deploy/target/lib/*", "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server", bootstrap,
             "--topic", topic, "--reader-property", "parse.key=true", "--reader-property", "key.separator=|",
             # The console producer's own defaults (3 retries, 1.5 s request timeout) give up on a record during a
             # leader move; a producer as data engineers configure it retries until delivery.timeout.ms.
             "--message-send-max-retries", "2147483647", "--request-timeout-ms", "30000",
             "--producer-property", "acks=all", "--producer-property", "enable.idempotence=true",
             "--producer-property", "linger.ms=0", "--producer-property", "delivery.timeout.ms=300000"],
            stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT, text=True)
        self.lock = threading.Lock()

    def send(self, key, value):
        with self.lock:
            self.process.stdin.write(f"{key}|{value}\n")
            self.process.stdin.flush()

    def close(self):
        """Flushes and waits; True when the producer exited cleanly and logged no send error.

        A failed send is logged at ERROR ("Error when sending message ..."); WARNs such as NotLeaderOrFollower during
        a leader move are retries the producer handles itself (each record's result is checked anyway)."""
        self.process.stdin.close()
        status = self.process.wait(timeout=360)
        self.log.close()
        errors = [line for line in open(self.log.name) if re.match(r"^\[[^\]]*\]\s+ERROR\b", line)]
        return status == 0 and not errors, errors[:3]


# ---------------------------------------------------------------- S3 (S3Proxy, authorization none)

class S3:
    def __init__(self, base):
        self.base = base

    def create_bucket(self, bucket):
        status, _, body = http_call(self.base, "PUT", f"/{bucket}", body=b"")
        if status not in (200, 409):
            raise RuntimeError(f"creating bucket {bucket}: HTTP {status} {body[:200]!r}")

    def put_many(self, bucket, keys, data):
        url = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        for key in keys:
            conn.request("PUT", f"/{bucket}/{key}", body=data, headers={"Content-Type": "image/png"})
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"PUT {bucket}/{key}: HTTP {response.status}")
        conn.close()

    def get(self, uri_or_path):
        path = uri_or_path
        if uri_or_path.startswith("s3://"):
            path = "/" + uri_or_path[len("s3://"):]
        status, _, body = http_call(self.base, "GET", urllib.parse.quote(path), timeout=60)
        return status, body


# ---------------------------------------------------------------- the record of what happened

class Timeline:
    def __init__(self):
        self.entries = []
        self.lock = threading.Lock()

    def add(self, kind, detail):
        with self.lock:
            self.entries.append((now(), kind, detail))
        say(f"FAULT {kind}: {detail}")


class Outcomes:
    """What every client saw, per request id."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items = {}

    def put(self, request_id, **fields):
        with self.lock:
            self.items.setdefault(request_id, {}).update(fields)


# ---------------------------------------------------------------- interactive clients

class Clients:
    KINDS = ("takeoff_blocking", "takeoff_stream", "openai_stream", "openai_blocking", "sink_events")

    def __init__(self, ingest, sink, outcomes, tokens, prefix):
        self.ingest, self.sink, self.outcomes, self.tokens, self.prefix = ingest, sink, outcomes, tokens, prefix
        self.stop = threading.Event()
        self.counter = 0
        self.lock = threading.Lock()

    def next_id(self, kind):
        with self.lock:
            self.counter += 1
            return f"{self.prefix}-{kind.replace('_', '-')}-{self.counter}"

    def run(self, worker_index):
        kinds = self.KINDS[worker_index % len(self.KINDS):] + self.KINDS[:worker_index % len(self.KINDS)]
        i = 0
        while not self.stop.is_set():
            kind = kinds[i % len(kinds)]
            i += 1
            request_id = self.next_id(kind)
            try:
                getattr(self, kind)(request_id)
            except Exception as e:  # noqa: BLE001 - every failure is recorded and judged later
                self.outcomes.put(request_id, kind=kind, transport_error=f"{type(e).__name__}: {e}", failed_at=now())
            if self.outcomes.items[request_id].get("status") not in (200, 202):
                time.sleep(1)  # ingest down or not ready: do not spin

    def takeoff_body(self, request_id, return_metadata=True):
        body = {"text": f"{request_id}: describe a cat.", "max_new_tokens": self.tokens, "min_new_tokens": self.tokens}
        if return_metadata:  # an answer option of the Takeoff endpoints; /v1/requests refuses it
            body["return_metadata"] = True
        return json.dumps(body).encode()

    def headers(self, request_id):
        return {"Content-Type": "application/json", "X-Request-Id": request_id}

    def takeoff_blocking(self, request_id):
        self.outcomes.put(request_id, kind="takeoff_blocking", sent_at=now())
        status, _, body = http_call(self.ingest, "POST", "/generate", self.takeoff_body(request_id),
                                    self.headers(request_id))
        answer = json.loads(body) if body else None
        self.outcomes.put(request_id, status=status, answer=answer, done_at=now())

    def openai_body(self, request_id, stream):
        return json.dumps({"model": "primary", "max_tokens": self.tokens, "temperature": 0, "stream": stream,
                           "messages": [{"role": "user", "content": f"{request_id}: describe a dog."}]}).encode()

    def openai_blocking(self, request_id):
        self.outcomes.put(request_id, kind="openai_blocking", sent_at=now())
        status, _, body = http_call(self.ingest, "POST", "/v1/chat/completions", self.openai_body(request_id, False),
                                    self.headers(request_id))
        answer = json.loads(body) if body else None
        self.outcomes.put(request_id, status=status, answer=answer, done_at=now())

    def takeoff_stream(self, request_id):
        self.stream("takeoff_stream", request_id, "/generate_stream", self.takeoff_body(request_id))

    def openai_stream(self, request_id):
        self.stream("openai_stream", request_id, "/v1/chat/completions", self.openai_body(request_id, True))

    def stream(self, kind, request_id, path, body):
        """POSTs a streaming request to the ingest and records its events as the client saw them ([DONE] as is)."""
        self.outcomes.put(request_id, kind=kind, sent_at=now())
        conn, response = open_stream(self.ingest, "POST", path, body, self.headers(request_id))
        events = []
        self.outcomes.put(request_id, status=response.status, events=events)
        try:
            if response.status == 200:
                for event, _, data in sse_events(response):
                    events.append((event, data if data == "[DONE]" else json.loads(data)))
                if not ended_cleanly(response):
                    raise ConnectionError("the stream was cut off before its end (no last chunk)")
            else:
                self.outcomes.put(request_id, answer=response.read()[:300].decode("utf-8", "replace"))
            self.outcomes.put(request_id, done_at=now())
        finally:
            conn.close()

    def sink_events(self, request_id):
        """Submit now (202), then follow the sink's event stream, resuming with Last-Event-ID when it drops."""
        self.outcomes.put(request_id, kind="sink_events", sent_at=now())
        status, _, body = http_call(self.ingest, "POST", "/v1/requests", self.takeoff_body(request_id, False),
                                    self.headers(request_id), timeout=60)
        self.outcomes.put(request_id, status=status)
        if status != 202:
            self.outcomes.put(request_id, answer=body[:300].decode("utf-8", "replace"))
            return
        events, last_id, resumes = [], None, 0
        self.outcomes.put(request_id, events=events)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            headers = {"Last-Event-ID": last_id} if last_id else {}
            try:
                conn, response = open_stream(self.sink, "GET", f"/v1/requests/{request_id}/events", None, headers)
                try:
                    if response.status != 200:
                        raise OSError(f"HTTP {response.status}")
                    for event, event_id, data in sse_events(response):
                        events.append((event, json.loads(data)))
                        if event_id:
                            last_id = event_id
                        if event in ("result", "error"):
                            self.outcomes.put(request_id, resumes=resumes, done_at=now())
                            return
                finally:
                    conn.close()
            except (OSError, http.client.HTTPException):
                pass
            resumes += 1  # the response ended without a result (sink restarted): resume after the last id
            time.sleep(1)
        self.outcomes.put(request_id, resumes=resumes, transport_error="no result event within 600 s")


# ---------------------------------------------------------------- checks

def sink_result(sink, request_id, wait=5):
    status, _, body = http_call(sink, "GET", f"/v1/requests/{request_id}?wait={wait}", timeout=wait + 30)
    return (json.loads(body) if status == 200 else None), status


def sink_results(sink, request_ids, wait):
    """{request id: (result or None, status)}, looked up in parallel."""
    with ThreadPoolExecutor(max_workers=16) as pool:
        return dict(zip(request_ids, pool.map(lambda request_id: sink_result(sink, request_id, wait), request_ids)))


def check_interactive(outcomes, sink, violations, stats, notes):
    """Every request a client saw accepted got exactly one complete answer, equal to the settled result."""
    items = sorted(outcomes.items.items())
    # Requests whose connection failed before any answer (ingest down): published after all? Not when the connection
    # was refused; otherwise the sink knows.
    in_doubt = [rid for rid, o in items if o.get("status") is None
                and not o.get("transport_error", "").startswith("ConnectionRefusedError")]
    answered = [rid for rid, o in items if o.get("status") in (200, 202)]
    results = sink_results(sink, in_doubt, 5)
    results.update(sink_results(sink, answered, 30))
    for request_id, o in items:
        kind = o.get("kind")
        status = o.get("status")
        if status is None:
            if request_id not in results:
                stats[f"{kind}: connection refused (ingest down), not sent"] += 1
            else:
                state = "published, answered at the sink" if results[request_id][0] else "never published"
                stats[f"{kind}: connection lost before an answer ({state})"] += 1
            continue
        if status not in (200, 202):
            stats[f"{kind}: HTTP {status} (not accepted)"] += 1
            if status >= 500 and status != 503:
                violations.append(f"{request_id}: HTTP {status} {str(o.get('answer'))[:200]}")
            continue
        result, result_status = results[request_id]
        if result is None:
            violations.append(f"{request_id} ({kind}): accepted but no result at the sink (HTTP {result_status})")
            continue
        text = result.get("text")
        if o.get("transport_error"):
            # Accepted, then the connection broke (the ingest restarted): the documented recovery is the sink.
            stats[f"{kind}: connection lost after acceptance, answered at the sink"] += 1
            notes.append(f"{o.get('failed_at', 0):8.1f}  {request_id} ({kind}): {o['transport_error']}")
            continue
        stats[f"{kind}: answered"] += 1
        problems = []
        if kind == "takeoff_blocking":
            if o["answer"].get("text") != text:
                problems.append(f"answer {o['answer'].get('text')!r} != result {text!r}")
        elif kind == "openai_blocking":
            content = o["answer"]["choices"][0]["message"]["content"]
            if content != text:
                problems.append(f"answer {content!r} != result {text!r}")
        elif kind == "takeoff_stream":
            events = o["events"]
            errors = [d for e, d in events if e == "error"]
            finals = [d for e, d in events if "metadata" in d]
            chunks = "".join(d.get("text", "") for e, d in events if e == "message" and "metadata" not in d)
            if errors:
                code = errors[0].get("error", {}).get("code")
                if code == "stream_restarted":
                    stats["takeoff_stream: ended with stream_restarted (replay differed; documented)"] += 1
                    continue
                problems.append(f"error event {errors[0]}")
            if len(finals) != 1 or (events and "metadata" not in events[-1][1]):
                problems.append(f"{len(finals)} final (metadata) events, last event {events[-1] if events else None}")
            if chunks != text:
                problems.append(f"streamed {chunks!r} != result {text!r}")
        elif kind == "openai_stream":
            events = o["events"]
            done = [d for e, d in events if d == "[DONE]"]
            chunks = [d for e, d in events if isinstance(d, dict) and "choices" in d]
            errors = [d for e, d in events if isinstance(d, dict) and "error" in d]
            if errors:
                if errors[0]["error"].get("code") == "stream_restarted":
                    stats["openai_stream: ended with stream_restarted (replay differed; documented)"] += 1
                    continue
                problems.append(f"error {errors[0]}")
            finals = [c for c in chunks if c["choices"] and c["choices"][0].get("finish_reason")]
            content = "".join((c["choices"][0].get("delta") or {}).get("content") or "" for c in chunks if c["choices"])
            if len(done) != 1 or events[-1][1] != "[DONE]":
                problems.append(f"{len(done)} [DONE]")
            if len(finals) != 1:
                problems.append(f"{len(finals)} chunks with a finish_reason")
            if content != text:
                problems.append(f"streamed {content!r} != result {text!r}")
        elif kind == "sink_events":
            events = o["events"]
            result_events = [d for e, d in events if e == "result"]
            tokens = [d for e, d in events if e == "token"]
            restarts = [d for e, d in events if e == "restart"]
            if o.get("resumes"):
                stats["sink_events: resumed with Last-Event-ID"] += 1
            if restarts:
                stats["sink_events: restart event (replay differed; documented)"] += 1
            indexes = [d["index"] for d in tokens if d.get("batch_id", 0) == 0]
            if not restarts and indexes != list(range(len(indexes))):
                problems.append(f"token indexes {indexes}")
            if len(result_events) != 1:
                problems.append(f"{len(result_events)} result events")
            if len([d for d in tokens if d.get("finish_reason")]) != 1 and not restarts:
                problems.append("not exactly one final token event")
            streamed = restarts[-1]["text"] if restarts else ""
            after = tokens if not restarts else []  # after a restart the text is reconciled by the restart event
            streamed += "".join(d.get("text", "") for d in after)
            if not restarts and streamed != text:
                problems.append(f"streamed {streamed!r} != result {text!r}")
        for problem in problems:
            violations.append(f"{request_id} ({kind}): {problem}")


def check_produced(produced, sink, s3, violations, stats):
    results = sink_results(sink, [request_id for request_id, _ in produced], 60)
    for request_id, output_uri in produced:
        result, status = results[request_id]
        if result is None:
            violations.append(f"{request_id} (produced to Kafka): no result at the sink (HTTP {status})")
            continue
        s3_status, body = s3.get(output_uri)
        if s3_status != 200:
            violations.append(f"{request_id}: no output_uri object {output_uri} (HTTP {s3_status})")
        elif json.loads(body).get("text") != result.get("text"):
            violations.append(f"{request_id}: the output_uri object's text differs from the result")
        else:
            stats["produced to Kafka: answered, output_uri written"] += 1


def check_dlqs(fleet, expected_poison, violations, stats):
    topics = [t for t in fleet.kafka_tool("kafka-topics.sh", "--list").split() if t.endswith(".dlq")]
    seen = []
    for topic in topics:
        for key, value in fleet.read_topic(topic, timeout_ms=5000):
            seen.append((topic, key))
            if topic == "kaption.requests.primary.dlq" and key in expected_poison:
                continue
            violations.append(f"DLQ {topic}: unexpected record key {key!r}: {value[:200]}")
    poison_seen = {key for topic, key in seen if topic == "kaption.requests.primary.dlq"}
    for key in expected_poison:
        if key not in poison_seen:
            violations.append(f"poison record {key} is not in kaption.requests.primary.dlq")
    stats[f"DLQ records (of {len(topics)} DLQ topics)"] = len(seen)
    stats["DLQ records that are the harness's poison"] = len(poison_seen & set(expected_poison))


def wait_lag_zero(fleet, violations, timeout=180, group=None):
    deadline = time.monotonic() + timeout
    while True:
        rows = [r for r in fleet.group_rows(group) if not r["group"].startswith("chaos-reader-")]
        # A partition with records and no committed offset yet ("-") lags by all of them. On topics written in
        # transactions (the bulk lanes, the job topics) the last offset is a commit marker, which a consumer
        # that committed its last record + 1 never "consumes": lag 1 there is none.
        def lag(r):
            if r["lag"].isdigit():
                transactional = r["topic"].startswith(("kaption.bulk.", "kaption.job"))
                return max(0, int(r["lag"]) - (1 if transactional else 0))
            return int(r["end"]) if r["current"] == "-" and r["end"].isdigit() else 0
        lagging = [r for r in rows if lag(r) > 0]
        if not lagging:
            groups = sorted({r["group"] for r in rows})
            say(f"consumer lag 0 on every partition of {len(groups)} groups ({', '.join(groups)})")
            return groups
        if time.monotonic() > deadline:
            for r in lagging[:10]:
                violations.append(f"lag {r['lag']} left: group {r['group']} {r['topic']}-{r['partition']}")
            return []
        time.sleep(5)


# ---------------------------------------------------------------- the bucket job

class BucketJob:
    def __init__(self, ingest, s3, images, png, run_id):
        self.ingest, self.s3, self.images, self.png = ingest, s3, images, png
        self.prefix = f"run-{run_id}"
        self.token = f"chaos-{run_id}"
        self.keys = [f"{self.prefix}/img-{i:05d}.png" for i in range(images)]
        self.job_id = None
        self.attempts = []

    def upload(self):
        self.s3.create_bucket("chaos-input")
        self.s3.create_bucket("chaos-output")
        self.s3.put_many("chaos-input", self.keys, self.png)
        say(f"uploaded {len(self.keys)} images to s3://chaos-input/{self.prefix}/")

    def body(self):
        return json.dumps({"input": f"s3://chaos-input/{self.prefix}/", "output": f"s3://chaos-output/{self.prefix}",
                           "template": {"text": "Describe the image.", "max_new_tokens": 4},
                           "client_token": self.token}).encode()

    def submit(self):
        """Submits until an answer: a submission cut off by an ingest restart is sent again with the same
        client_token, which makes it idempotent."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                status, _, body = http_call(self.ingest, "POST", "/v1/jobs", self.body(),
                                            {"Content-Type": "application/json"}, timeout=60)
                self.attempts.append((now(), status))
                if status in (200, 201):
                    self.job_id = json.loads(body)["job_id"]
                    say(f"bucket job {self.job_id} submitted: HTTP {status} after {len(self.attempts)} attempt(s)")
                    return
            except (OSError, http.client.HTTPException) as e:
                self.attempts.append((now(), type(e).__name__))
            time.sleep(0.5)

    def status(self):
        status, _, body = http_call(self.ingest, "GET", f"/v1/jobs/{self.job_id}", timeout=30)
        return json.loads(body) if status == 200 else None

    def wait_finished(self, timeout):
        deadline = time.monotonic() + timeout
        job = None
        while time.monotonic() < deadline:
            try:
                job = self.status()
            except (OSError, http.client.HTTPException):
                job = None
            if job and job.get("state") in ("completed", "partially_completed", "failed", "cancelled"):
                return job
            time.sleep(3)
        return job

    def check(self, violations, stats):
        if not self.job_id:
            violations.append("bucket job: never accepted")
            return
        job = self.wait_finished(900)
        if not job or job.get("state") != "completed":
            violations.append(f"bucket job {self.job_id}: not completed: {json.dumps(job)[:400]}")
            if not job or "manifest_uri" not in job:
                return
        counts = job["counts"]
        status, body = self.s3.get(job["manifest_uri"])
        if status != 200:
            violations.append(f"bucket job: manifest {job['manifest_uri']}: HTTP {status}")
            return
        manifest = json.loads(body)
        lines = Counter()
        results = errors = 0
        for uri in manifest["results"] + manifest["errors"]:
            shard_status, shard = self.s3.get(uri)
            if shard_status != 200:
                violations.append(f"bucket job: shard {uri}: HTTP {shard_status}")
                continue
            for line in shard.decode().splitlines():
                record = json.loads(line)
                lines[record["record_id"]] += 1
                if "error" in record:
                    errors += 1
                    violations.append(f"bucket job: error line for a valid image: {line[:200]}")
                else:
                    results += 1
        missing = [k for k in self.keys if lines[k] == 0]
        repeated = [k for k, n in lines.items() if n > 1]
        unknown = [k for k in lines if k not in set(self.keys)]
        for name, keys in (("missing", missing), ("more than once", repeated), ("not an input", unknown)):
            if keys:
                violations.append(f"bucket job: {len(keys)} objects {name}: {keys[:5]}")
        expected = {"total": self.images, "completed": self.images, "failed": 0}
        for field, value in expected.items():
            if manifest["counts"].get(field) != value:
                violations.append(f"bucket job: manifest counts.{field} {manifest['counts'].get(field)} != {value}")
        if counts.get("completed") != results or counts.get("failed", 0) != errors:
            violations.append(f"bucket job: status counts {counts} != shard lines {results} results, {errors} errors")
        jobs = self.jobs_with_token()
        if jobs != 1:
            violations.append(f"bucket job: {jobs} jobs for client_token {self.token} (one expected)")
        stats[f"bucket job: objects in shards exactly once (of {self.images})"] = sum(1 for k in self.keys if lines[k] == 1)
        stats["bucket job: shards"] = len(manifest["results"]) + len(manifest["errors"])
        stats["bucket job: submission attempts"] = len(self.attempts)

    def jobs_with_token(self):
        count, after = 0, None
        while True:
            path = "/v1/jobs?limit=100" + (f"&after={after}" if after else "")
            status, _, body = http_call(self.ingest, "GET", path, timeout=30)
            page = json.loads(body)
            count += sum(1 for job in page["data"] if job.get("client_token") == self.token)
            if not page.get("has_more"):
                return count
            after = page["last_id"]


# ---------------------------------------------------------------- faults

class Faults:
    def __init__(self, fleet, timeline, args):
        self.fleet, self.timeline, self.args = fleet, timeline, args

    def wait_running(self, service, count, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.fleet.containers(service)) >= count:
                return True
            time.sleep(1)
        return False

    def busy_worker(self, timeout=180, exclude=()):
        """A worker with rows in its engine (kaption_batch_occupancy > 0): a kill now is a kill mid-batch."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for container in self.fleet.containers("worker"):
                if container in exclude:
                    continue
                occupancy = self.fleet.occupancy(container)
                if occupancy:
                    return container, occupancy
            time.sleep(0.5)
        return None, None

    def kill_worker(self, n):
        victim, occupancy = self.busy_worker()
        if not victim:
            self.timeline.add("worker-kill", f"#{n}: no worker was busy within 180 s; skipped")
            return False
        restarts = self.fleet.restarts(victim)
        self.fleet.signal(victim, signal.SIGKILL)
        self.timeline.add("worker-kill", f"#{n}: kill -9 worker {victim[:12]} (batch occupancy {occupancy:.2f})")
        # restart: always (deploy/chaos/compose.chaos.yml) brings it back; wait for that before the next kill
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if self.fleet.restarts(victim) > restarts and self.fleet.running(victim):
                    return True
            except subprocess.CalledProcessError:
                pass
            time.sleep(1)
        self.timeline.add("worker-kill", f"#{n}: worker {victim[:12]} did not come back within 240 s")
        return True

    def broker_kill(self):
        leaders = self.fleet.leaders("kaption.requests.primary")
        leader = Counter(leaders.values()).most_common(1)[0][0]
        service = {"1": "kafka", "2": "kafka-2", "3": "kafka-3"}[leader]
        container = self.fleet.containers(service)[0]
        # No automatic restart while it is down, so that the controller fences it and the leaders move.
        subprocess.run(["docker", "update", "--restart=no", container], check=True, capture_output=True)
        self.fleet.signal(container, signal.SIGKILL)
        led = sorted(p for p, b in leaders.items() if b == leader)
        self.timeline.add("broker-kill", f"kill -9 broker {leader} ({service}), leader of kaption.requests.primary "
                                         f"partitions {led}")
        moved = None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            time.sleep(3)
            try:
                now_leaders = self.fleet.leaders("kaption.requests.primary")
            except subprocess.SubprocessError:
                continue
            if now_leaders and all(now_leaders.get(p) not in (leader, "none", "-1", None) for p in led):
                moved = {p: now_leaders[p] for p in led}
                break
        self.timeline.add("broker-leaders", f"partitions {led} now led by {moved}" if moved
                          else f"leaders did not move within 90 s: {self.fleet.leaders('kaption.requests.primary')}")
        time.sleep(self.args.broker_down)
        subprocess.run(["docker", "update", "--restart=unless-stopped", container], check=True, capture_output=True)
        subprocess.run(["docker", "start", container], check=True, capture_output=True)
        self.timeline.add("broker-restart", f"broker {leader} ({service}) started again")
        return moved is not None

    def sink_restart(self):
        container = self.fleet.containers("sink")[0]
        self.fleet.signal(container, signal.SIGKILL)
        self.timeline.add("sink-kill", f"kill -9 sink {container[:12]} (restart policy brings it back)")

    def ingest_restart_during_submission(self, job):
        container = self.fleet.containers("ingest")[0]
        submitter = threading.Thread(target=job.submit, name="job-submit")
        submitter.start()
        time.sleep(self.args.ingest_kill_delay)
        self.fleet.signal(container, signal.SIGKILL)
        self.timeline.add("ingest-kill", f"kill -9 ingest {container[:12]} {self.args.ingest_kill_delay:.2f} s "
                                         "after the bucket job's POST /v1/jobs was sent")
        submitter.join()
        outcomes = Counter(str(outcome) for _, outcome in job.attempts)
        self.timeline.add("job-submitted", f"{job.job_id} after {len(job.attempts)} attempt(s) with client_token "
                                           f"{job.token}: {dict(outcomes)}")

    def worker_pause(self):
        victim, occupancy = self.busy_worker()
        if not victim:
            self.timeline.add("worker-pause", "no busy worker; skipped")
            return
        self.fleet.signal(victim, signal.SIGSTOP)
        self.timeline.add("worker-sigstop", f"SIGSTOP worker {victim[:12]} (batch occupancy {occupancy:.2f}) for "
                                            f"{self.args.pause}s, past its 6 s session timeout")
        time.sleep(self.args.pause)
        self.fleet.signal(victim, signal.SIGCONT)
        self.timeline.add("worker-sigcont", f"SIGCONT worker {victim[:12]}")


# ---------------------------------------------------------------- the fault run

def faults_run(args):
    fleet = Fleet(args.project, args.compose.split())
    timeline, outcomes = Timeline(), Outcomes()
    run_id = time.strftime("%Y%m%d%H%M%S")
    s3 = S3(args.s3)
    png = open(args.image, "rb").read()
    violations, stats, notes = [], Counter(), []

    job = BucketJob(args.ingest, s3, args.images, png, run_id)
    job.upload()
    s3.create_bucket("kaption-images")

    clients = Clients(args.ingest, args.sink, outcomes, args.tokens, f"chaos-{run_id}")
    threads = [threading.Thread(target=clients.run, args=(i,), name=f"client-{i}", daemon=True)
               for i in range(args.clients)]
    producer = HostProducer(args.root, args.bootstrap, "kaption.requests.primary")
    produced, poison = [], []
    stop_producing = threading.Event()

    def produce():
        n = 0
        while not stop_producing.is_set():
            n += 1
            request_id = f"chaos-{run_id}-kafka-{n}"
            output_uri = f"s3://kaption-images/chaos/{run_id}/{request_id}.json"
            producer.send(request_id, json.dumps({"request_id": request_id, "text": f"{request_id}: a cat?",
                                                  "max_new_tokens": args.tokens, "output_uri": output_uri}))
            produced.append((request_id, output_uri))
            if n % 25 == 1:  # now and then a poison record: it must land in the DLQ, and only it
                key = f"chaos-{run_id}-poison-{n}"
                producer.send(key, json.dumps({"request_id": key, "text": 42}))
                poison.append(key)
            stop_producing.wait(args.produce_interval)

    producer_thread = threading.Thread(target=produce, name="producer", daemon=True)
    say(f"load: {args.clients} HTTP clients ({', '.join(Clients.KINDS)}), a record to Kafka every "
        f"{args.produce_interval}s, bucket job of {args.images} images")
    for thread in threads:
        thread.start()
    producer_thread.start()
    time.sleep(args.warmup)

    faults = Faults(fleet, timeline, args)
    faults.ingest_restart_during_submission(job)
    kills_done = 0
    for n in range(1, args.kills + 1):
        if faults.kill_worker(n):
            kills_done += 1
        if n == max(1, args.kills // 3):
            faults.broker_kill()
        if n == max(1, (2 * args.kills) // 3):
            faults.sink_restart()
        time.sleep(args.kill_interval)
    faults.worker_pause()
    time.sleep(args.cooldown)

    say("faults done: stopping the load, waiting for the clients")
    clients.stop.set()
    stop_producing.set()
    for thread in threads:
        thread.join(timeout=700)
    producer_thread.join()
    ok, errors = producer.close()
    if not ok:
        violations.append(f"the Kafka producer reported errors: {errors}")

    def replays():
        counts = Counter(key for key, _ in fleet.read_topic("kaption.results", timeout_ms=10000))
        stats["kaption.results records (at-least-once, before the merge)"] = sum(counts.values())
        stats["request ids with more than one result on kaption.results (replays)"] = sum(
            1 for n in counts.values() if n > 1)

    # On a slow machine the load can outrun the workers (and every kill makes the new owner replay from the
    # committed offsets): let the backlog drain before judging, so a request still queued is not called lost.
    say("waiting for the workers to drain their backlog (consumer lag of kaption-worker-primary)")
    drained = wait_lag_zero(fleet, [], timeout=args.drain_timeout, group="kaption-worker-primary")
    if not drained:
        say(f"the backlog did not drain within {args.drain_timeout:.0f} s; checking anyway")
    checks = [("interactive requests", lambda: check_interactive(outcomes, args.sink, violations, stats, notes)),
              ("records produced to Kafka", lambda: check_produced(produced, args.sink, s3, violations, stats)),
              ("the bucket job", lambda: job.check(violations, stats)),
              ("consumer lag", lambda: wait_lag_zero(fleet, violations)),
              ("DLQs", lambda: check_dlqs(fleet, poison, violations, stats)),
              ("replays on kaption.results", replays)]
    for name, check in checks:
        say(f"checking: {name}")
        try:
            check()
        except Exception as e:  # noqa: BLE001 - a check that cannot finish is a failed run, with a report
            violations.append(f"the check of {name} failed: {type(e).__name__}: {e}")

    report(args, timeline, outcomes, produced, poison, job, stats, notes, violations, kills_done)
    return 1 if violations else 0


def report(args, timeline, outcomes, produced, poison, job, stats, notes, violations, kills_done):
    lines = ["", "=" * 100, f"Kaption fault run: {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}, "
             f"{now():.0f} s", "=" * 100, "Injected (seconds since the start of the load):"]
    for at, kind, detail in timeline.entries:
        lines.append(f"  {at:8.1f}  {kind:15s} {detail}")
    kinds = Counter(o.get("kind") for o in outcomes.items.values())
    lines.append(f"Load: {sum(kinds.values())} HTTP requests ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}),"
                 f" {len(produced)} records + {len(poison)} poison records produced to Kafka, a bucket job of "
                 f"{args.images} images; {kills_done} worker kills")
    lines.append("Outcomes:")
    for key, value in sorted(stats.items()):
        lines.append(f"  {value:7d}  {key}")
    if notes:
        lines.append("Connections lost after acceptance (seconds since the start; each checked at the sink instead):")
        lines.extend(f"  {note}" for note in notes)
    lines.append(f"Violations: {len(violations)}")
    for v in violations[:50]:
        lines.append(f"  - {v}")
    if len(violations) > 50:
        lines.append(f"  … and {len(violations) - 50} more")
    lines.append("RESULT: " + ("PASS" if not violations else "FAIL"))
    text = "\n".join(lines)
    print(text, flush=True)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text + "\n")


# ---------------------------------------------------------------- scale-out

def scale_run(args):
    fleet = Fleet(args.project, args.compose.split())
    producer = HostProducer(args.root, args.bootstrap, "kaption.requests.primary")
    run_id = time.strftime("%Y%m%d%H%M%S")
    rows, violations = [], []
    all_ids = []
    serial = [0]

    def batch(count, tag):
        ids = []
        for _ in range(count):
            serial[0] += 1
            request_id = f"scale-{run_id}-{tag}-{serial[0]}"
            producer.send(request_id, json.dumps({"request_id": request_id, "text": f"{request_id}: a cat?",
                                                  "max_new_tokens": args.tokens, "min_new_tokens": args.tokens}))
            ids.append(request_id)
        all_ids.extend(ids)
        return ids

    def wait_answered(ids):
        results = []
        for request_id in ids:
            result, status = sink_result(args.sink, request_id, wait=300)
            if result is None:
                violations.append(f"{request_id}: no result (HTTP {status})")
            else:
                results.append(result)
        return results

    def spread(n):
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            members = defaultdict(list)
            for r in fleet.group_rows("kaption-worker-primary"):
                if r["topic"] == "kaption.requests.primary" and r["consumer"] != "-":
                    members[r["host"]].append(r["partition"])
            if len(members) == n and sum(len(p) for p in members.values()) == args.partitions:
                return {host: sorted(p) for host, p in members.items()}
            time.sleep(2)
        raise RuntimeError(f"{n} workers did not share the {args.partitions} partitions within 300 s")

    def cpu(service_names):
        total = 0.0
        for service in service_names:
            for container in fleet.containers(service):
                total += fleet.cpu_seconds(container) or 0.0
        return total

    # warm-up: JIT and the demo model on one worker
    wait_answered(batch(args.workers_warmup, "warmup"))
    for n in range(1, args.max_workers + 1):
        if n > 1:
            # A rebalance with requests in flight: a batch goes out, then the group grows under it.
            in_flight = batch(args.records // 2, f"rebalance-to-{n}")
            subprocess.run([*args.compose.split(), "up", "-d", "--no-recreate", "--scale", f"worker={n}", "worker"],
                           check=True, capture_output=True)
            lost = len(in_flight) - len(wait_answered(in_flight))
            say(f"scaled to {n} workers with {len(in_flight)} requests in flight: {lost} lost")
        members = spread(n)
        say(f"{n} worker(s): partitions {members}")
        topics = ("kaption.requests.primary", "kaption.tokens", "kaption.results")
        before = {s: cpu([s]) for s in ("worker", "kafka", "kafka-2", "kafka-3", "sink", "ingest")}
        records_before = {t: fleet.records(t) for t in topics}
        started = time.monotonic()
        results = wait_answered(batch(args.records, f"measure-{n}"))
        elapsed = time.monotonic() - started
        used = {s: cpu([s]) - before[s] for s in before}
        written = {t: (fleet.records(t) - records_before[t]) / max(1, len(results)) for t in topics}
        tokens = sum(r.get("usage", {}).get("completion_tokens", 0) for r in results)
        rows.append(dict(workers=n, spread=sorted(len(p) for p in members.values()), requests=len(results),
                         seconds=elapsed, per_second=len(results) / elapsed, tokens=tokens,
                         inference_ms=sorted(r.get("inference_ms", 0) for r in results)[len(results) // 2],
                         cpu={s: used[s] / max(1, len(results)) for s in used}, written=written))
        say(f"{n} worker(s): {len(results)} requests in {elapsed:.1f} s = {len(results) / elapsed:.2f}/s; "
            f"CPU s/request {', '.join(f'{s} {v / max(1, len(results)):.3f}' for s, v in used.items())}")
    # Scale back to one with a batch in flight (SIGTERM: graceful stop, requests go to the survivors).
    in_flight = batch(args.records // 2, "scale-down")
    subprocess.run([*args.compose.split(), "up", "-d", "--no-recreate", "--scale", "worker=1", "worker"], check=True,
                   capture_output=True)
    lost = len(in_flight) - len(wait_answered(in_flight))
    say(f"scaled down to 1 worker with {len(in_flight)} requests in flight: {lost} lost")
    ok, errors = producer.close()
    if not ok:
        violations.append(f"producer errors: {errors}")
    lines = ["", f"Scale-out: {args.partitions} partitions, {args.records} requests of {args.tokens} tokens per "
             f"step, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
             "| workers | partitions per worker | requests/s | per worker | median inference ms | CPU s per request: "
             "workers / 3 brokers / sink | records per request: requests / tokens / results |",
             "|---:|---|---:|---:|---:|---|---|"]
    for r in rows:
        brokers = r["cpu"]["kafka"] + r["cpu"]["kafka-2"] + r["cpu"]["kafka-3"]
        w = r["written"]
        lines.append(f"| {r['workers']} | {r['spread']} | {r['per_second']:.2f} | {r['per_second'] / r['workers']:.2f} "
                     f"| {r['inference_ms']} | {r['cpu']['worker']:.3f} / {brokers:.3f} / {r['cpu']['sink']:.3f} "
                     f"| {w['kaption.requests.primary']:.1f} / {w['kaption.tokens']:.1f} / {w['kaption.results']:.1f} |")
    lines.append(f"Requests answered: {len(all_ids) - len(violations)} of {len(all_ids)}; violations: {len(violations)}")
    lines += [f"  - {v}" for v in violations[:20]]
    lines.append("RESULT: " + ("PASS" if not violations else "FAIL"))
    text = "\n".join(lines)
    print(text, flush=True)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text + "\n")
    return 1 if violations else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("faults", "scale"))
    parser.add_argument("--root", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--compose", required=True, help="the compose command line with its -f options")
    parser.add_argument("--ingest", required=True)
    parser.add_argument("--sink", required=True)
    parser.add_argument("--s3", required=True)
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--image", required=True, help="a PNG for the bucket job")
    parser.add_argument("--report")
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=24)
    parser.add_argument("--produce-interval", type=float, default=3.0)
    parser.add_argument("--drain-timeout", type=float, default=1800)
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--kill-interval", type=float, default=3)
    parser.add_argument("--broker-down", type=float, default=15)
    parser.add_argument("--pause", type=float, default=20)
    parser.add_argument("--ingest-kill-delay", type=float, default=0.05)
    parser.add_argument("--cooldown", type=float, default=10)
    parser.add_argument("--max-workers", type=int, default=4)
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--records", type=int, default=120)
    parser.add_argument("--workers-warmup", type=int, default=20)
    args = parser.parse_args()
    sys.exit(faults_run(args) if args.mode == "faults" else scale_run(args))


if __name__ == "__main__":
    main()
