#!/usr/bin/env python3
"""Load and failure test of ferrodyn's cluster mode (run by scripts/cluster-test.sh).

Creates a table (PAY_PER_REQUEST, hash key pk S, GSI `gsi` on g S, projection ALL) through
server A and waits until server B sees it ACTIVE. Then --threads threads write for
--duration seconds, each alternating its requests over the two servers (after a connection
error the request is retried on the other server, and the failed server is skipped for a
second):

  * PutItem of a new item  t{thread}-{n}  (g = one of 16 groups, ~200-byte payload);
  * UpdateItem ADD counter :1 with ConditionExpression attribute_exists(pk), on an item of
    the thread whose put was acknowledged;
  * TransactWriteItems putting  x{thread}-{n}-a  and  x{thread}-{n}-b  (same `pair` value).

At --kill-at seconds it runs --kill-cmd (cluster-test.sh: SIGKILL etcd member 2 and server
B), at --restart-at seconds --restart-cmd (restart both and wait until B answers).

Every acknowledged write (HTTP 200) is recorded, and for each item the number of
acknowledged increments and the number of increments SENT (every HTTP attempt, counted by a
botocore before-send hook, since an attempt that timed out or whose server died may have
applied). Afterwards, through server A with consistent reads:

  * every acknowledged put is there with what was written, and nothing that was never sent;
  * acknowledged increments <= counter <= increments sent, for every item;
  * every acknowledged transaction has both items, and no transaction has exactly one;
  * the GSI (Scan of the index, and Query of every group) holds exactly the table's items;
  * a consistent Scan through server B returns the same items as through A.

It reports requests, acknowledged writes, errors by type, and the longest gap between two
successful requests to the surviving server A (and to either server), and exits 1 on any
violation or when that gap on A exceeds --max-gap seconds (2 when the setup fails).

botocore's standard retry mode (10 attempts) retries throttling and 5xx answers; connection
errors (refused, reset, timeouts) are NOT retried by botocore but by this script on the other
server: otherwise each thread would sit in botocore's backoff on the dead server.
"""
import argparse
import collections
import json
import os
import random
import string
import subprocess
import sys
import threading
import time
import uuid

import boto3
import botocore.config
import botocore.exceptions
from botocore.retries import standard

SERVERS = ("A", "B")
GROUPS = 16
# What botocore raises when a server cannot be reached or does not answer in time.
CONNECTION_ERRORS = (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError)
# One session for every client (made in the main thread): it parses the service model once.
SESSION = boto3.session.Session()


def other(s):
    return "B" if s == "A" else "A"


def log(msg):
    print("cluster_load: %s" % msg, flush=True)


class Stats:
    """Per-thread counters (merged at the end, so no locking)."""

    def __init__(self):
        self.http_attempts = 0
        self.attempt_errors = collections.Counter()  # per HTTP attempt, by server and type
        self.op_errors = collections.Counter()  # per operation that was not acknowledged
        self.sent_incr = collections.Counter()  # pk -> UpdateItem attempts sent
        self.ops = collections.Counter()


def make_client(url, stats=None, read_timeout=5.0, connect_timeout=2.0, fail_fast=True,
                label=""):
    cfg = botocore.config.Config(
        max_pool_connections=4,
        retries={"max_attempts": 10, "mode": "standard"},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    client = SESSION.client(
        "dynamodb", endpoint_url=url, region_name="us-east-1",
        aws_access_key_id="x", aws_secret_access_key="x", config=cfg)
    if not fail_fast:
        return client
    ev = client.meta.events
    # Replace the standard retry handler by one that does not retry connection errors (the
    # caller moves to the other server) and counts every attempt's error.
    ev.unregister("needs-retry.dynamodb", unique_id="retry-config-dynamodb")
    handler = standard.register_retry_handler(
        client, max_attempts=client.meta.config.retries["total_max_attempts"])
    ev.unregister("needs-retry.dynamodb", unique_id="retry-config-dynamodb")

    def needs_retry(**kw):
        exc = kw.get("caught_exception")
        if exc is not None:
            stats.attempt_errors["%s %s" % (label, type(exc).__name__)] += 1
            if isinstance(exc, CONNECTION_ERRORS):
                return None
        else:
            http, parsed = kw["response"]
            if http.status_code != 200:
                stats.attempt_errors["%s %s %s" % (
                    label, http.status_code, parsed.get("Error", {}).get("Code", "?"))] += 1
        return handler.needs_retry(**kw)

    ev.register("needs-retry.dynamodb", needs_retry, unique_id="retry-config-dynamodb")

    def before_send(request, event_name, **kw):
        stats.http_attempts += 1
        if event_name.endswith(".UpdateItem"):
            stats.sent_incr[json.loads(request.body)["Key"]["pk"]["S"]] += 1
        return None

    ev.register("before-send.dynamodb", before_send)
    return client


class GaveUp(Exception):
    pass


class Worker(threading.Thread):
    def __init__(self, idx, urls, table, args, stop):
        super().__init__(name="load-%d" % idx, daemon=True)
        self.idx = idx
        self.table = table
        self.args = args
        self.stop = stop
        self.stats = Stats()
        self.rng = random.Random(idx * 7919 + int(time.time()))
        self.clients = {s: make_client(urls[s], self.stats, read_timeout=args.read_timeout,
                                       label=s) for s in SERVERS}
        self.down_until = {s: 0.0 for s in SERVERS}
        self.ok_times = {s: [] for s in SERVERS}
        self.rr = idx
        self.n = 0
        self.sent_puts = {}  # pk -> (g, payload): every put sent
        self.acked_puts = set()
        self.mine = []  # acknowledged puts, targets of updates
        self.acked_incr = collections.Counter()
        self.sent_txns = {}  # base -> (g, pair)
        self.acked_txns = set()
        self.violations = []

    # One logical request: alternate servers; on a connection error retry on the other one.
    def call(self, op, **kw):
        self.rr += 1
        first = SERVERS[self.rr % 2]
        deadline = time.monotonic() + self.args.op_timeout
        while True:
            now = time.monotonic()
            cands = [first, other(first)]
            up = [s for s in cands if self.down_until[s] <= now]
            if up:
                s = up[0]
            else:
                s = min(cands, key=lambda c: self.down_until[c])
                time.sleep(max(0.0, min(self.down_until[s] - now, 0.25)))
            try:
                r = getattr(self.clients[s], op)(**kw)
            except CONNECTION_ERRORS as e:
                self.down_until[s] = time.monotonic() + 1.0
                if time.monotonic() > deadline:
                    raise GaveUp("%s: %s" % (op, type(e).__name__))
                first = other(s)
                continue
            self.ok_times[s].append(time.monotonic())
            return s, r

    def next_n(self):
        self.n += 1
        return self.n

    def payload(self):
        return "".join(self.rng.choices(string.ascii_letters + string.digits, k=200))

    def op_put(self):
        pk = "t%d-%d" % (self.idx, self.next_n())
        g = "g%d" % self.rng.randrange(GROUPS)
        payload = self.payload()
        self.sent_puts[pk] = (g, payload)
        self.call("put_item", TableName=self.table,
                  Item={"pk": {"S": pk}, "g": {"S": g}, "payload": {"S": payload}})
        self.acked_puts.add(pk)
        self.mine.append(pk)

    def op_update(self):
        if not self.mine:
            return self.op_put()
        pk = self.rng.choice(self.mine)
        try:
            self.call("update_item", TableName=self.table, Key={"pk": {"S": pk}},
                      UpdateExpression="ADD #c :one", ConditionExpression="attribute_exists(pk)",
                      ExpressionAttributeNames={"#c": "counter"},
                      ExpressionAttributeValues={":one": {"N": "1"}})
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "ConditionalCheckFailedException":
                self.violations.append(
                    "UpdateItem on %s: ConditionalCheckFailed although its put was acknowledged"
                    % pk)
            raise
        self.acked_incr[pk] += 1

    def op_txn(self):
        base = "x%d-%d" % (self.idx, self.next_n())
        g = "g%d" % self.rng.randrange(GROUPS)
        self.sent_txns[base] = (g, base)
        items = [{"Put": {"TableName": self.table,
                          "Item": {"pk": {"S": base + suffix}, "pair": {"S": base},
                                   "g": {"S": g}}}} for suffix in ("-a", "-b")]
        self.call("transact_write_items", TransactItems=items,
                  ClientRequestToken=str(uuid.uuid4()))
        self.acked_txns.add(base)

    def run(self):
        ops = [("put", self.op_put)] * 7 + [("update", self.op_update)] * 8 + \
              [("txn", self.op_txn)] * 5
        while not self.stop.is_set():
            name, fn = self.rng.choice(ops)
            self.stats.ops[name] += 1
            try:
                fn()
            except GaveUp as e:
                self.stats.op_errors["%s gave up (%s)" % (name, e)] += 1
            except botocore.exceptions.ClientError as e:
                self.stats.op_errors["%s %s" % (name, e.response["Error"]["Code"])] += 1
            except Exception as e:  # noqa: BLE001 - anything else is counted, not fatal
                self.stats.op_errors["%s %s" % (name, type(e).__name__)] += 1


def paginate(client, op, **kw):
    out = []
    key = None
    while True:
        if key:
            kw["ExclusiveStartKey"] = key
        r = getattr(client, op)(**kw)
        out.extend(r.get("Items", []))
        key = r.get("LastEvaluatedKey")
        if not key:
            return out


def canon(item):
    return json.dumps(item, sort_keys=True)


def longest_gap(times, start, end):
    """Longest interval in [start, end] without a time of `times`: (seconds, its start)."""
    pts = [start] + sorted(t for t in times if start <= t <= end) + [end]
    best = (0.0, start)
    for a, b in zip(pts, pts[1:]):
        if b - a > best[0]:
            best = (b - a, a)
    return best


def wait_table(client, table, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            t = client.describe_table(TableName=table)["Table"]
            gsis = t.get("GlobalSecondaryIndexes", [])
            if t["TableStatus"] == "ACTIVE" and gsis and \
                    all(i.get("IndexStatus") == "ACTIVE" for i in gsis):
                return True
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] != "ResourceNotFoundException":
                raise
        time.sleep(0.05)
    return False


def run_cmd(label, cmd, t0):
    log("%.1f s: %s: %s" % (time.monotonic() - t0, label, cmd))
    started = time.monotonic()
    r = subprocess.run(cmd, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=120)
    for line in r.stdout.splitlines():
        log("  | " + line)
    if r.returncode != 0:
        log("  %s exited %d" % (label, r.returncode))
    return started, time.monotonic(), r.returncode


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--a", default=os.environ.get("CLUSTER_URL_A", "http://127.0.0.1:8000"),
                   help="server A (survives; checks go through it)")
    p.add_argument("--b", default=os.environ.get("CLUSTER_URL_B", "http://127.0.0.1:8001"),
                   help="server B (killed and restarted)")
    p.add_argument("--kill-cmd", default=os.environ.get("CLUSTER_KILL_CMD"))
    p.add_argument("--restart-cmd", default=os.environ.get("CLUSTER_RESTART_CMD"))
    p.add_argument("--threads", type=int, default=32)
    p.add_argument("--duration", type=float, default=30.0)
    p.add_argument("--kill-at", type=float, default=10.0)
    p.add_argument("--restart-at", type=float, default=20.0)
    p.add_argument("--max-gap", type=float, default=10.0,
                   help="fail when the longest gap between successes on A exceeds this")
    p.add_argument("--read-timeout", type=float, default=5.0)
    p.add_argument("--op-timeout", type=float, default=30.0,
                   help="seconds one request keeps retrying over the servers before giving up")
    p.add_argument("--keep-table", action="store_true")
    p.add_argument("--summary-file", help="write a one-line summary here")
    args = p.parse_args()
    urls = {"A": args.a, "B": args.b}

    # ---- setup: the table through A, visible on B ----
    admin = {s: make_client(urls[s], read_timeout=30, fail_fast=False) for s in SERVERS}
    table = "load_%s" % uuid.uuid4().hex[:12]
    t = time.monotonic()
    admin["A"].create_table(
        TableName=table, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "gsi",
                                 "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                                 "Projection": {"ProjectionType": "ALL"}}])
    if not wait_table(admin["A"], table, 30):
        log("SETUP FAILED: table %s not ACTIVE on A after 30 s" % table)
        return 2
    t_a = time.monotonic() - t
    if not wait_table(admin["B"], table, 30):
        log("SETUP FAILED: table %s (created on A) not ACTIVE on B after 30 s" % table)
        return 2
    t_b = time.monotonic() - t
    log("table %s created on A: ACTIVE on A after %.2f s, on B after %.2f s" % (table, t_a, t_b))

    stop = threading.Event()
    log("creating %d threads (2 clients each)" % args.threads)
    workers = [Worker(i, urls, table, args, stop) for i in range(args.threads)]

    # ---- load with the kill and the restart ----
    t0 = time.monotonic()
    for w in workers:
        w.start()
    log("load started: %d threads for %.0f s" % (args.threads, args.duration))
    kill = restart = None
    problems = []
    if args.kill_cmd:
        time.sleep(max(0.0, t0 + args.kill_at - time.monotonic()))
        kill = run_cmd("kill", args.kill_cmd, t0)
        if kill[2] != 0:
            problems.append("the kill command failed")
    if args.restart_cmd:
        time.sleep(max(0.0, t0 + args.restart_at - time.monotonic()))
        restart = run_cmd("restart", args.restart_cmd, t0)
        if restart[2] != 0:
            problems.append("the restart command failed")
    time.sleep(max(0.0, t0 + args.duration - time.monotonic()))
    t_end = time.monotonic()
    stop.set()
    log("%.1f s: stopping" % (t_end - t0))
    for w in workers:
        w.join(args.op_timeout + args.read_timeout * 11 + 10)
    stuck = [w.name for w in workers if w.is_alive()]
    if stuck:
        problems.append("threads did not finish: %s" % ", ".join(stuck))
    t_joined = time.monotonic()

    # ---- figures ----
    tot = Stats()
    ok = {s: [] for s in SERVERS}
    acked_puts, sent_puts, acked_incr, acked_txns, sent_txns = set(), {}, collections.Counter(), \
        set(), {}
    for w in workers:
        tot.http_attempts += w.stats.http_attempts
        tot.attempt_errors.update(w.stats.attempt_errors)
        tot.op_errors.update(w.stats.op_errors)
        tot.sent_incr.update(w.stats.sent_incr)
        tot.ops.update(w.stats.ops)
        for s in SERVERS:
            ok[s].extend(w.ok_times[s])
        acked_puts |= w.acked_puts
        sent_puts.update(w.sent_puts)
        acked_incr.update(w.acked_incr)
        acked_txns |= w.acked_txns
        sent_txns.update(w.sent_txns)
        problems.extend(w.violations)
    n_ok = {s: len(ok[s]) for s in SERVERS}
    acked_writes = len(acked_puts) + sum(acked_incr.values()) + len(acked_txns)
    gap_a, gap_a_at = longest_gap(ok["A"], t0, t_end)
    gap_all, gap_all_at = longest_gap(ok["A"] + ok["B"], t0, t_end)
    gap_b, gap_b_at = longest_gap(ok["B"], t0, t_end)

    log("---- load figures ----")
    log("operations: %d (%s), acknowledged %d, HTTP attempts %d, %.0f acknowledged ops/s"
        % (sum(tot.ops.values()), ", ".join("%s %d" % kv for kv in sorted(tot.ops.items())),
           n_ok["A"] + n_ok["B"], tot.http_attempts, (n_ok["A"] + n_ok["B"]) / (t_end - t0)))
    log("successes per server: A %d, B %d" % (n_ok["A"], n_ok["B"]))
    log("acknowledged writes: %d (puts %d of %d sent, increments %d of %d sent, "
        "transactions %d of %d sent)"
        % (acked_writes, len(acked_puts), len(sent_puts), sum(acked_incr.values()),
           sum(tot.sent_incr.values()), len(acked_txns), len(sent_txns)))
    log("errors per HTTP attempt (server, error): %s"
        % (dict(tot.attempt_errors.most_common()) or "none"))
    log("operations not acknowledged: %s" % (dict(tot.op_errors.most_common()) or "none"))
    if kill:
        log("kill at %.1f s%s" % (kill[0] - t0, "" if not restart else
            ", restart at %.1f s (%s after %.1f s)" % (
                restart[0] - t0, "done" if restart[2] == 0 else "FAILED",
                restart[1] - restart[0])))
    log("longest gap between successes on A: %.2f s (from %.1f s)" % (gap_a, gap_a_at - t0))
    log("longest gap between successes on either server: %.2f s (from %.1f s)"
        % (gap_all, gap_all_at - t0))
    log("longest gap between successes on B: %.2f s (from %.1f s)" % (gap_b, gap_b_at - t0))
    if restart:
        after = [x for x in ok["B"] if x >= restart[0]]
        if after:
            log("B after its restart: first success %.2f s after the restart command, %d successes"
                % (min(after) - restart[0], len(after)))
        else:
            problems.append("server B served no request after its restart")
    if gap_a > args.max_gap:
        problems.append("longest gap between successes on A is %.2f s (> %.1f s)"
                        % (gap_a, args.max_gap))

    # ---- checks through A ----
    try:
        checks(admin, urls, table, problems, acked_puts, sent_puts, acked_incr, tot.sent_incr,
               acked_txns, sent_txns)
    except Exception as e:  # noqa: BLE001 - a check that cannot run is a failure
        problems.append("the checks could not run: %s: %s" % (type(e).__name__, e))
    if not args.keep_table:
        try:
            admin["A"].delete_table(TableName=table)
        except Exception as e:  # noqa: BLE001
            log("could not delete %s: %s" % (table, e))

    summary = ("%d ops, %d acknowledged writes, longest gap on A %.2f s, %d violations"
               % (sum(tot.ops.values()), acked_writes, gap_a, len(problems)))
    if args.summary_file:
        with open(args.summary_file, "w") as f:
            f.write(summary + "\n")
    log("took %.1f s after the load (joins and checks)" % (time.monotonic() - t_joined))
    if problems:
        log("FAILED: %d violations; the first ones:" % len(problems))
        for msg in problems[:30]:
            log("  - " + msg)
        return 1
    log("OK: " + summary)
    return 0


def checks(admin, urls, table, problems, acked_puts, sent_puts, acked_incr, sent_incr,
           acked_txns, sent_txns):
    """The checks after the load, through A (consistent reads); appends to `problems`."""
    vA = admin["A"]
    t = time.monotonic()
    items = {it["pk"]["S"]: it for it in paginate(vA, "scan", TableName=table,
                                                  ConsistentRead=True)}
    log("verification scan through A: %d items in %.1f s" % (len(items), time.monotonic() - t))
    counts = collections.Counter()
    for pk in acked_puts:
        counts["acknowledged puts"] += 1
        it = items.get(pk)
        if it is None:
            problems.append("acknowledged put %s is missing" % pk)
        elif (it.get("g", {}).get("S"), it.get("payload", {}).get("S")) != sent_puts[pk]:
            problems.append("item %s does not hold what was written" % pk)
    for pk, sent in sent_puts.items():
        it = items.get(pk)
        got = int(it["counter"]["N"]) if it is not None and "counter" in it else 0
        counts["counters"] += 1
        if got < acked_incr[pk]:
            problems.append("%s: counter %d < %d acknowledged increments"
                            % (pk, got, acked_incr[pk]))
        if got > sent_incr[pk]:
            problems.append("%s: counter %d > %d increments sent" % (pk, got, sent_incr[pk]))
    pairs = collections.defaultdict(list)
    for pk, it in items.items():
        if pk.startswith("x"):
            base, _, suffix = pk.rpartition("-")
            pairs[base].append(suffix)
            if base not in sent_txns or it.get("pair", {}).get("S") != base or \
                    it.get("g", {}).get("S") != sent_txns[base][0]:
                problems.append("transaction item %s was never written as it is" % pk)
        elif pk not in sent_puts:
            problems.append("item %s was never written" % pk)
    for base in acked_txns:
        counts["acknowledged transactions"] += 1
        if sorted(pairs.get(base, [])) != ["a", "b"]:
            problems.append("acknowledged transaction %s has items %s"
                            % (base, sorted(pairs.get(base, []))))
    half = {b: s for b, s in pairs.items() if sorted(s) != ["a", "b"]}
    counts["transactions present"] = len(pairs)
    for base, s in half.items():
        problems.append("transaction %s is partial: only %s" % (base, s))

    # The GSI: exactly the table's items (all of them have g), with all attributes.
    expected = {pk: canon(it) for pk, it in items.items() if "g" in it}
    gsi_ok = False
    t = time.monotonic()
    for attempt in range(20):
        by_scan = {it["pk"]["S"]: canon(it)
                   for it in paginate(vA, "scan", TableName=table, IndexName="gsi")}
        by_query = {}
        for g in range(GROUPS):
            for it in paginate(vA, "query", TableName=table, IndexName="gsi",
                               KeyConditionExpression="g = :g",
                               ExpressionAttributeValues={":g": {"S": "g%d" % g}}):
                by_query[it["pk"]["S"]] = canon(it)
        if by_scan == expected and by_query == expected:
            gsi_ok = True
            break
        time.sleep(0.5)
    if gsi_ok:
        log("GSI matches the table (%d items, Scan and %d Queries)%s"
            % (len(expected), GROUPS,
               "" if attempt == 0 else " after %.1f s of lag" % (time.monotonic() - t)))
    else:
        for name, got in (("Scan", by_scan), ("Query", by_query)):
            missing = set(expected) - set(got)
            extra = set(got) - set(expected)
            differ = {k for k in set(got) & set(expected) if got[k] != expected[k]}
            if missing or extra or differ:
                problems.append("GSI by %s differs from the table: %d missing (%s), %d extra "
                                "(%s), %d differ (%s)"
                                % (name, len(missing), sorted(missing)[:5], len(extra),
                                   sorted(extra)[:5], len(differ), sorted(differ)[:5]))

    # Server B sees the same items.
    try:
        items_b = {it["pk"]["S"]: canon(it)
                   for it in paginate(make_client(urls["B"], Stats(), read_timeout=30),
                                      "scan", TableName=table, ConsistentRead=True)}
    except Exception as e:  # noqa: BLE001
        problems.append("a consistent Scan through B failed: %s" % e)
    else:
        if items_b != {pk: canon(it) for pk, it in items.items()}:
            problems.append("a consistent Scan through B differs from A's (%d items vs %d)"
                            % (len(items_b), len(items)))
        else:
            log("a consistent Scan through B returns the same %d items" % len(items_b))

    log("checked: %s; %d transactions all-or-nothing"
        % (", ".join("%s %d" % kv for kv in sorted(counts.items())), len(pairs) - len(half)))


if __name__ == "__main__":
    sys.exit(main())
